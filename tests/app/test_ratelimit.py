"""One shared rate limiter (issue 8, failure 4): limits from the scheme, 429 with a Chinese message (JSON
under /api/), the client address taken from X-Forwarded-For only through the trusted proxy hops, and
counts shared by every app instance when they point at one Redis."""
import re
import uuid

import pytest
from limits.storage import MemoryStorage, RedisStorage

from app.kernel import ratelimit
from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from tests.app.test_sessions import REDIS_URL, redis_up
from tests.conftest import _database, _make_app, csrf_from


@pytest.fixture
def limits(app, tmp_path, monkeypatch):
    """limits(name="N per M minutes", ...): the app runs on a copy of the scheme with those limits."""

    def _set(**rates):
        text = read_scheme_file("default").text
        for name, rate in rates.items():
            text, found = re.subn(rf'(?m)^{name} = "[^"]*"', f'{name} = "{rate}"', text)
            assert found == 1, name
        path = tmp_path / "limits.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setitem(app.config, "SCHEME", str(path))

    return _set


def _status(client, number="20260101000001", **headers):
    return client.get(f"/api/v1/cases/{number}?code=WRONGCODE", headers=headers)


def test_the_api_limit_is_the_schemes_and_answers_json_in_chinese(client, limits):
    limits(api_case_get="3 per 10 minutes")
    assert [_status(client).status_code for _ in range(3)] == [404] * 3
    refused = _status(client)
    assert refused.status_code == 429 and refused.is_json and refused.get_json()["error"] == "查询太频繁，请稍后再试。"


def test_without_proxy_hops_a_rotating_forwarded_for_does_not_escape(client, limits):
    """XN_PROXY_HOPS=0 (the default): X-Forwarded-For is whatever the client wrote, so it is not read."""
    limits(api_case_get="3 per 10 minutes")
    codes = [_status(client, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(6)]
    assert codes == [404] * 3 + [429] * 3


@pytest.fixture
def proxied_app(tmp_path_factory):
    """An app behind one trusted proxy (XN_PROXY_HOPS=1): the address is the one that proxy appended."""
    with _database(tmp_path_factory, "proxied") as (url, options):
        proxied = _make_app(url, options, PROXY_HOPS=1)
        with proxied.app_context():
            db.create_all()
        yield proxied
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()


def test_behind_the_proxy_only_its_own_entry_counts(proxied_app, tmp_path):
    scheme = tmp_path / "limits.toml"
    scheme.write_text(read_scheme_file("default").text.replace('api_case_get = "120 per 10 minutes"',
                                                               'api_case_get = "3 per 10 minutes"'), encoding="utf-8")
    proxied_app.config["SCHEME"] = str(scheme)
    client = proxied_app.test_client()
    # The client writes what it likes in front; the proxy appends the address it saw.
    forged = [_status(client, **{"X-Forwarded-For": f"10.0.0.{n}, 198.51.100.7"}).status_code for n in range(5)]
    assert forged == [404] * 3 + [429] * 2
    assert _status(client, **{"X-Forwarded-For": "198.51.100.8"}).status_code == 404  # another client


def test_a_refused_lookup_keeps_the_form_and_says_why(client, limits):
    limits(case_lookup="2 per 10 minutes")
    for expected in (404, 404, 429):
        page = client.get("/cases/lookup").data.decode()
        response = client.post("/cases/lookup", data={"csrf_token": csrf_from(page), "number": "20260101000001",
                                                      "code": "WRONGCODE"})
        assert response.status_code == expected
    assert "查询太频繁，请稍后再试。" in response.data.decode() and 'name="number"' in response.data.decode()


def test_invitation_links_are_limited(client, limits):
    limits(invitation="2 per 10 minutes")
    assert [client.get(f"/i/guess{n}").status_code for n in range(2)] == [302, 302]
    refused = client.get("/i/guess3")
    assert refused.status_code == 429 and "操作太频繁，请稍后再试。" in refused.data.decode()


def test_survey_posts_from_one_address_are_limited_across_windows(client, make, limits):
    make.campaign()
    windows = [make.window(), make.window(), make.window()]
    limits(survey_intake="2 per 1 hour")
    codes = []
    for window in windows:
        html = client.get(f"/s/{window.code}").data.decode()
        data = {name: "5" for name in set(re.findall(r'name="(item_\d+)"', html))}
        data.update(csrf_token=csrf_from(html), ticket=re.search(r'name="ticket" type="hidden" value="([^"]*)"',
                                                                 html).group(1))
        response = client.post(f"/s/{window.code}", data=data)
        codes.append(response.status_code)
    assert codes == [302, 302, 429] and "提交的评价过多" in response.data.decode()


def test_a_broken_limit_in_the_scheme_is_the_servers_fault(client, limits):
    limits(api_case_get="many")
    response = _status(client)
    assert response.status_code == 500 and response.is_json


def test_ipv6_clients_count_per_64(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}):
        assert ratelimit.client_address() == "2001:db8:1:2::/64"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "::ffff:192.0.2.5"}):
        assert ratelimit.client_address() == "192.0.2.5"


def test_memory_by_default(app):
    assert isinstance(ratelimit.limiter(app).storage, MemoryStorage)


@pytest.mark.isolated
def test_apps_on_one_redis_count_together(tmp_path_factory, tmp_path):
    """Two app instances (two workers, two nodes) with XN_RATELIMIT_STORAGE_URI on one Redis."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    scheme = tmp_path / "limits.toml"
    scheme.write_text(read_scheme_file("default").text.replace('api_case_get = "120 per 10 minutes"',
                                                               'api_case_get = "4 per 10 minutes"'), encoding="utf-8")
    config = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"xn-test-{uuid.uuid4().hex}",
              "SCHEME": str(scheme)}
    with _database(tmp_path_factory, "redis") as (url, options):
        apps = [_make_app(url, options, **config) for _ in range(2)]
        with apps[0].app_context():
            db.create_all()
        assert all(isinstance(ratelimit.limiter(each).storage, RedisStorage) for each in apps)
        clients = [each.test_client() for each in apps]
        codes = [_status(clients[n % 2]).status_code for n in range(6)]
        for each in apps:
            with each.app_context():
                db.engine.dispose()
        ratelimit.limiter(apps[0]).storage.reset()
    assert codes == [404] * 4 + [429] * 2
