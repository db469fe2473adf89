"""Server-side sessions (issue 8, failure 1): the cookie is a random id; signing out, a password change,
deactivation and "sign out everywhere" end sessions at once; Secure cookies over HTTPS; timeouts."""
import hashlib
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.kernel import sessions
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.session_stores import RedisStore, WebSession
from tests.conftest import _database, _make_app, csrf_from

PASSWORD = "a-long-test-password"
EXPORT = "/staff/cases/export.csv"
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up():
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - any failure to reach it means the Redis tests cannot run
        return False


@pytest.fixture(params=["database", "redis"])
def store(request, app, monkeypatch):
    """Each test runs with sessions in the database, then in Redis (under a prefix of its own)."""
    if request.param == "database":
        yield "database"
        return
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"xn-test:{uuid.uuid4().hex}:"
    redis_store = RedisStore(REDIS_URL, prefix, 3600)
    monkeypatch.setitem(app.extensions, "xn_session_store", redis_store)
    yield "redis"
    keys = list(redis_store.redis.scan_iter(f"{prefix}*"))
    if keys:
        redis_store.redis.delete(*keys)


def sign_in(client, user, password=PASSWORD):
    token = csrf_from(client.get("/auth/login").data)
    response = client.post("/auth/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.data.decode()
    return client.get_cookie("session").value


def post(client, url, data=None):
    page = client.get("/staff").data.decode()  # the sign-out form of every staff page carries a token
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def signed_in(client):
    return client.get(EXPORT).status_code == 200


def test_the_cookie_is_a_random_id_and_the_contents_stay_on_the_server(client, make):
    user = make.user()
    sid = sign_in(client, user)
    assert len(sid) == 43 and "." not in sid  # no signed payload: nothing to read or forge
    stored = db.session.get(WebSession, hashlib.sha256(sid.encode()).hexdigest())
    assert stored is not None and stored.user_id == user.id and sid not in stored.data


def test_replaying_the_cookie_after_sign_out_is_refused(app, client, make, store):
    sid = sign_in(client, make.user(role="handler"))
    assert signed_in(client)
    logout = post(client, "/auth/logout")
    assert logout.status_code == 302 and not signed_in(client)
    replay = app.test_client()
    replay.set_cookie("session", sid)
    response = replay.get(EXPORT)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_signing_in_gives_a_new_id_and_the_old_one_is_dead(app, client, make, store):
    client.get("/auth/login")  # the sign-in form stores its token: a session exists before sign-in
    before = client.get_cookie("session").value
    after = sign_in(client, make.user(role="handler"))
    assert after != before
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert not signed_in(planted)


def test_a_password_change_signs_out_the_other_sessions(app, client, make, store):
    user = make.user(role="handler")
    other = app.test_client()
    sign_in(client, user)
    old_own = sign_in(other, user) and client.get_cookie("session").value
    page = client.get("/auth/password")
    form = {"current": PASSWORD, "new": "a-brand-new-password", "confirm": "a-brand-new-password",
            "csrf_token": csrf_from(page.data)}
    assert client.post("/auth/password", data=form).status_code == 302
    assert signed_in(client) and client.get_cookie("session").value != old_own
    assert not signed_in(other)


def test_deactivation_signs_the_account_out_at_once(app, client, make, store):
    handler = make.user(role="handler")
    theirs = app.test_client()
    sign_in(theirs, handler)
    assert signed_in(theirs)
    sign_in(client, make.user(role="admin"))
    response = post(client, f"/admin/users/{handler.id}/active", {"active": "0"})
    assert response.status_code == 302 and not signed_in(theirs)


def test_sign_out_everywhere_from_the_user_page(app, client, make, store):
    handler = make.user(role="handler")
    phone, desk = app.test_client(), app.test_client()
    sign_in(phone, handler)
    sign_in(desk, handler)
    sign_in(client, make.user(role="admin"))
    page = client.get("/admin/users").data.decode()
    assert f"/admin/users/{handler.id}/sign-out" in page and "全部退出登录" in page
    response = post(client, f"/admin/users/{handler.id}/sign-out")
    assert response.status_code == 302
    assert "须重新登录" in client.get("/admin/users").data.decode()
    assert not signed_in(phone) and not signed_in(desk) and signed_in(client)


def test_a_password_reset_by_the_admin_signs_the_account_out(app, client, make):
    handler = make.user(role="handler")
    theirs = app.test_client()
    sign_in(theirs, handler)
    sign_in(client, make.user(role="admin"))
    assert post(client, f"/admin/users/{handler.id}/password").status_code == 200
    assert not signed_in(theirs)


def test_a_visitor_who_stores_nothing_gets_no_session(client):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(WebSession))
    for path in ("/", "/healthz", "/thanks"):
        response = client.get(path)
        assert "session=" not in response.headers.get("Set-Cookie", ""), path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebSession)) == before


def test_the_cookie_flags(app, client):
    response = client.get("/auth/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie  # a browser-session cookie; the server's timeouts end the session
    secure = app.test_client().get("/auth/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in secure


@pytest.mark.parametrize("hops, secure", [(1, True), (0, False)])
def test_secure_cookie_behind_the_trusted_proxy_only(tmp_path_factory, hops, secure):
    """Through the configured proxy, its X-Forwarded-Proto says HTTPS; without one it is not believed."""
    with _database(tmp_path_factory, "proxy") as (url, options):
        proxied = _make_app(url, options, PROXY_HOPS=hops)
        with proxied.app_context():
            db.create_all()
        response = proxied.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https",
                                                                      "X-Forwarded-For": "203.0.113.7"})
        assert ("Secure" in response.headers["Set-Cookie"]) is secure
        with proxied.app_context():
            db.engine.dispose()


def _later(monkeypatch, minutes):
    moment = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(sessions, "utcnow", lambda: moment)


def test_idle_timeout(app, client, make, monkeypatch, store):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    sign_in(client, make.user(role="handler"))
    _later(monkeypatch, 25)
    assert signed_in(client)  # used within the idle time: the clock starts again
    _later(monkeypatch, 50)
    assert signed_in(client)
    _later(monkeypatch, 81)
    assert not signed_in(client)


def test_absolute_timeout_however_busy(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 2)
    sign_in(client, make.user(role="handler"))
    for minutes in range(20, 120, 20):
        _later(monkeypatch, minutes)
        assert signed_in(client), minutes
    _later(monkeypatch, 121)
    assert not signed_in(client)


def test_a_request_running_while_its_session_ends_cannot_bring_it_back(app, store):
    """The store rewrites a session only while it exists: a slow request on another node saving after
    the sign-out finds nothing to update."""
    sessions_store, now = sessions.store(app), utcnow()
    record = sessions.Record(data="{}", user_id=None, created_at=now, seen_at=now,
                             expires_at=now + timedelta(hours=1))
    sessions_store.create("k" * 64, record)
    assert sessions_store.load("k" * 64, now) == record
    sessions_store.delete("k" * 64)
    assert sessions_store.update("k" * 64, record, now) is False
    assert sessions_store.load("k" * 64, now) is None


def test_sign_out_everywhere_is_audited(client, make):
    from app.audit.models import AuditEntry

    handler = make.user(role="handler")
    admin = make.user(role="admin")
    sign_in(client, admin)
    post(client, f"/admin/users/{handler.id}/sign-out")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.sign_out")).one()
    assert (entry.user_id, entry.object_id) == (admin.id, str(handler.id))


def test_a_shared_page_reads_no_session(client, make):
    """Public results are the same for everyone: even a signed-in visitor's session is neither read
    (no Vary: Cookie) nor refreshed there."""
    sign_in(client, make.user(role="handler"))
    response = client.get("/public/results")
    assert response.status_code == 200 and "Cookie" not in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers
