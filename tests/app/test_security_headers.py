"""Security headers on every response (issue 8, failure 7): pages get a policy without inline script or
style, every response refuses framing and type sniffing, citizen pages send no Referer, HTTPS gets HSTS."""
import io

import pytest
from PIL import Image

from app import create_app
from app.kernel.headers import OTHER_POLICY, PAGE_POLICY, PDF_POLICY
from complaints import attachments, operations as case_ops
from tests.conftest import TEST_CONFIG, csrf_from


def _common(response):
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


@pytest.fixture
def window(make):
    return make.window(unit=make.unit(code="H101", name="省安全测试厅"), code="H101-W1")


def test_a_citizen_page_has_the_page_policy_and_no_referrer(client, window):
    response = client.get(f"/s/{window.code}")
    _common(response)
    policy = response.headers["Content-Security-Policy"]
    assert policy == PAGE_POLICY
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    home = client.get("/")
    assert home.headers["Referrer-Policy"] == "no-referrer" and home.headers["Content-Security-Policy"] == PAGE_POLICY


def test_a_staff_page_keeps_a_same_site_referer(client, login):
    login("admin")
    for path in ("/staff", "/admin/units", "/stats/", "/auth/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        _common(response)
        assert response.headers["Content-Security-Policy"] == PAGE_POLICY
        assert response.headers["Referrer-Policy"] == "same-origin", path


def test_a_pdf_can_still_open_in_the_browser_viewer(client, login, window):
    login("admin")
    response = client.get(f"/admin/surveys/windows/{window.code}/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    _common(response)
    assert response.headers["Content-Security-Policy"] == PDF_POLICY
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_json_csv_and_images_run_nothing(client, login, window):
    api = client.get("/api/v1/units")
    assert api.status_code == 200 and api.mimetype == "application/json"
    _common(api)
    assert api.headers["Content-Security-Policy"] == OTHER_POLICY
    assert api.headers["Referrer-Policy"] == "no-referrer"
    login("admin")
    svg = client.get(f"/admin/surveys/windows/{window.code}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and svg.headers["Content-Security-Policy"] == OTHER_POLICY
    assert "sandbox" in OTHER_POLICY and "default-src 'none'" in OTHER_POLICY


@pytest.mark.parametrize("path, status, policy", [
    ("/no-such-page", 404, PAGE_POLICY),
    ("/api/v1/no-such-thing", 404, OTHER_POLICY),
    ("/staff/cases/99999999", 404, PAGE_POLICY),
])
def test_error_responses_carry_the_headers(client, login, path, status, policy):
    login("handler")
    response = client.get(path)
    assert response.status_code == status
    _common(response)
    assert response.headers["Content-Security-Policy"] == policy


def test_an_unhandled_error_carries_the_headers_too():
    app = create_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "服务器出现错误" in response.get_data(as_text=True)
    _common(response)
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


def test_static_files_are_served_as_their_type(client):
    for path, types in (("/static/css/site.css", ("text/css",)),
                        ("/static/js/site.js", ("text/javascript", "application/javascript"))):
        response = client.get(path)
        response.close()  # the file is streamed
        assert response.mimetype in types and response.headers["X-Content-Type-Options"] == "nosniff"


def _hsts(app, **request):
    return app.test_client().get("/healthz", **request).headers.get("Strict-Transport-Security")


def test_hsts_only_when_the_request_is_https(app):
    assert _hsts(app) is None
    assert _hsts(app, base_url="https://localhost") == f"max-age={365 * 24 * 3600}"
    # Without a configured proxy a forwarded scheme is a client's claim and changes nothing.
    assert _hsts(app, headers={"X-Forwarded-Proto": "https"}) is None


def test_hsts_behind_the_configured_proxy():
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_HOPS": 1})
    assert _hsts(app, headers={"X-Forwarded-Proto": "https"}) == f"max-age={365 * 24 * 3600}"
    assert _hsts(app, headers={"X-Forwarded-Proto": "http"}) is None


def test_a_citizen_form_posts_over_https_without_a_referer(app):
    """Citizen pages send no Referer; Flask-WTF's strict HTTPS check would refuse every such post."""
    client = app.test_client()
    page = client.get("/cases/lookup", base_url="https://localhost")
    response = client.post("/cases/lookup", base_url="https://localhost", data={
        "csrf_token": csrf_from(page.data), "number": "20260101001", "code": "ABCDEFGH"})
    assert "页面已过期或来源不明" not in response.get_data(as_text=True)
    assert response.status_code != 400
    forged = client.post("/cases/lookup", base_url="https://localhost",
                         data={"csrf_token": "forged", "number": "20260101001", "code": "ABCDEFGH"})
    assert forged.status_code == 400  # the token is still checked


def test_a_views_stricter_policy_is_kept(client, login, make):
    """A citizen's attachment stays sandboxed when staff download it: the hook does not loosen it."""
    case, _code = case_ops.create_case(kind="complaint", unit=make.unit(), description="附件测试", anonymous=True)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, "PNG")
    attachments.store(case, [attachments.Upload("照片.png", "image/png", picture.getvalue())])
    login("admin")
    response = client.get(f"/staff/cases/{case.number}/attachments/{case.attachments[0].id}")
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
