"""After sign-in, `next` may only lead to a page on this site (issue 8, failure 3)."""
import pytest

from tests.conftest import csrf_from

# Decoded values, as the query string carries them after percent-decoding.
UNSAFE = [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\x00/evil.example",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "https://evil.example/", "javascript:alert(1)",
    "evil.example", "/ /evil.example", "/\u3000/evil.example", "///evil.example", "/\x7f/evil.example", "",
]


def _sign_in(client, user, next_value):
    token = csrf_from(client.get("/auth/login").data)
    return client.post("/auth/login", query_string={"next": next_value},
                       data={"username": user.username, "password": "a-long-test-password", "csrf_token": token})


@pytest.mark.parametrize("next_value", UNSAFE)
def test_unsafe_next_is_ignored_and_leads_to_the_staff_home(client, make, next_value):
    response = _sign_in(client, make.user(), next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff"


@pytest.mark.parametrize("raw_query", ["next=/%09/evil.example", "next=/%0A/evil.example", "next=%2F%09%2Fevil"])
def test_raw_encoded_next_never_leaves_the_site_or_fails(client, make, raw_query):
    user = make.user()
    token = csrf_from(client.get("/auth/login").data)
    response = client.post(f"/auth/login?{raw_query}",
                           data={"username": user.username, "password": "a-long-test-password", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff"


@pytest.mark.parametrize("next_value", ["/admin/units", "/staff/cases/?sort=deadline", "/stats/?year=2026"])
def test_a_path_on_this_site_is_followed(client, make, next_value):
    response = _sign_in(client, make.user(), next_value)
    assert response.status_code == 302 and response.headers["Location"] == next_value
