"""More than one node (issue 8): two app servers, each its own app instance on its own port, on one
PostgreSQL schema, one Redis and one upload folder, as the documented production shape. Runs where
PostgreSQL (TEST_DATABASE_URL) and Redis (127.0.0.1:6379) are up, as CI has them; skipped otherwise."""
import http.client
import io
import os
import re
import threading
import uuid
from http.cookies import SimpleCookie

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from complaints.models import Attachment, Case
from tests.app.test_sessions import REDIS_URL, redis_up
from tests.conftest import _database, _make_app
from tests.factories import Factory

pytestmark = [pytest.mark.multinode, pytest.mark.isolated]
PASSWORD = "a-long-test-password"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def nodes(request, tmp_path_factory, tmp_path):
    """Two running servers [(app, port), (app, port)] sharing the database, Redis and uploads; sessions in
    Redis, or with the parameter "database" in the shared database."""
    if not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    scheme = tmp_path / "limits.toml"
    scheme.write_text(read_scheme_file("default").text.replace('api_case_get = "120 per 10 minutes"',
                                                               'api_case_get = "4 per 10 minutes"'), encoding="utf-8")
    run = uuid.uuid4().hex
    sessions_in = getattr(request, "param", "redis")
    config = {"SESSION_REDIS_URL": REDIS_URL if sessions_in == "redis" else None, "SESSION_REDIS_PREFIX": f"xn-test:{run}:session:",
              "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"xn-test-{run}",
              "UPLOAD_FOLDER": str(tmp_path / "shared-uploads"), "SCHEME": str(scheme)}
    with _database(tmp_path_factory, "multinode") as (url, options):
        apps = [_make_app(url, options, **config) for _ in range(2)]
        with apps[0].app_context():
            db.create_all()
        servers = [make_server("127.0.0.1", 0, each, threaded=True) for each in apps]
        threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
        for thread in threads:
            thread.start()
        try:
            yield [(each, server.server_port) for each, server in zip(apps, servers)]
        finally:
            for server, thread in zip(servers, threads):
                server.shutdown()
                thread.join(timeout=5)
            _forget_redis(apps[0], run)
            for each in apps:
                with each.app_context():
                    db.session.remove()
                    db.engine.dispose()


def _forget_redis(app, run):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"xn-test*{run}*"))
    if keys:
        client.delete(*keys)


class Browser:
    """One browser: its cookies go to whichever node it asks (the proxy in front chooses)."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, body=None, content_type=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, data

    def form(self, port, page, action, fields, files=None):
        """Open `page` on a node, then post its form (with the page's CSRF token) to `action`."""
        _status, _headers, html = self.request(port, "GET", page)
        data = MultiDict({**fields, "csrf_token": TOKEN.search(html.decode()).group(1)})
        for name, (content, filename, mimetype) in (files or {}).items():
            data.add(name, FileStorage(io.BytesIO(content), filename=filename, content_type=mimetype))
        boundary, body = encode_multipart(data)
        return self.request(port, "POST", action, body, f"multipart/form-data; boundary={boundary}")


def _seed(app):
    with app.app_context():
        make = Factory(db.session)
        admin = make.user(role="admin", password=PASSWORD)
        unit = make.window().unit
        db.session.commit()
        return admin.username, unit.code


def _sign_in(browser, port, username):
    status, headers, _ = browser.form(port, "/auth/login", "/auth/login", {"username": username, "password": PASSWORD})
    assert status == 302, headers


def test_a_rate_limit_counts_across_both_nodes(nodes):
    (_app_a, a), (_app_b, b) = nodes
    browser = Browser()
    codes = [browser.request((a, b)[n % 2], "GET", "/api/v1/cases/20260101000001?code=WRONGCODE")[0]
             for n in range(6)]
    assert codes == [404] * 4 + [429] * 2


@pytest.mark.parametrize("nodes", ["redis", "database"], indirect=True)
def test_a_session_signed_out_on_one_node_is_dead_on_the_other(nodes):
    (app_a, a), (_app_b, b) = nodes
    username, _unit = _seed(app_a)
    browser = Browser()
    _sign_in(browser, a, username)
    old_cookie = dict(browser.cookies)
    assert browser.request(b, "GET", "/staff/cases/export.csv")[0] == 200  # signed in on A, known on B
    assert browser.form(b, "/staff", "/auth/logout", {})[0] == 302  # signed out on B
    replay = Browser()
    replay.cookies = old_cookie
    status, headers, _ = replay.request(a, "GET", "/staff/cases/export.csv")
    assert status == 302 and "/auth/login" in headers["Location"]


def test_an_attachment_uploaded_through_one_node_downloads_through_the_other(nodes):
    (app_a, a), (_app_b, b) = nodes
    username, unit_code = _seed(app_a)
    picture = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 30, 30)).save(picture, "PNG")
    citizen = Browser()
    status, _headers, _ = citizen.form(
        a, f"/cases/new?unit={unit_code}", "/cases/new",
        {"kind": "complaint", "unit_code": unit_code, "description": "窗口工作人员态度生硬，让我跑了三趟。",
         "name": "张三", "phone": "13812345678", "consent": "y"},
        files={"attachments": (picture.getvalue(), "photo.png", "image/png")})
    assert status == 302
    with app_a.app_context():
        number, attachment_id = db.session.execute(
            sa.select(Case.number, Attachment.id).join(Attachment, Attachment.case_id == Case.id)).one()
    staff = Browser()
    _sign_in(staff, b, username)
    status, headers, body = staff.request(b, "GET", f"/staff/cases/{number}/attachments/{attachment_id}")
    assert status == 200 and body.startswith(b"\x89PNG") and Image.open(io.BytesIO(body)).size == (24, 24)
