"""Fixtures: one app and database per test session; each test runs inside a
transaction that is rolled back (requests commit to a SAVEPOINT).

Set TEST_DATABASE_URL (e.g. postgresql://127.0.0.1/test) to run on PostgreSQL.
Tests marked `isolated` get a fresh database of their own with real commits,
for concurrency tests that need several connections.
"""
import contextlib
import os
import re
import uuid

import pytest
import sqlalchemy as sa
from flask import g
from flask.ctx import _cv_app
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.kernel import ratelimit
from app.kernel.config import normalise_database_url
from app.kernel.extensions import db
from tests import factories

# A cheap password hash keeps sign-in fast in tests; production keeps scrypt.
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret-key", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


@contextlib.contextmanager
def _database(tmp_path_factory, name):
    """A private database: a new SQLite file, or on PostgreSQL a throwaway schema, so that
    several test runs can share one server. Yields (url, engine options)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite3'}", {}
        return
    url, schema = normalise_database_url(url), f"t_{uuid.uuid4().hex[:12]}"
    _postgres(url, f"CREATE SCHEMA {schema}")
    try:
        yield url, {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_size": 10}
    finally:
        _postgres(url, f"DROP SCHEMA {schema} CASCADE")


def _postgres(url, sql):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def _make_app(url, options, **config):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                       **config})


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    with _database(tmp_path_factory, "db") as (url, options):
        app = _make_app(url, options, UPLOAD_FOLDER=str(instance / "uploads"))
        with app.app_context():
            db.create_all()

        # Test requests share the test's app context (and so `g`): forget what a request cached there.
        @app.before_request
        def _forget_request_state():
            g.pop("_login_user", None)
            g.pop("scheme", None)
            g.pop("csrf_token", None)  # Flask-WTF's token of the last request's session

        yield app
        with app.app_context():
            db.engine.dispose()


def _app_ctx_id():
    return id(_cv_app.get(None))


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Each test starts with no request counted by the shared limiter (in memory in tests)."""
    ratelimit.limiter(app).storage.reset()
    yield


@pytest.fixture(autouse=True)
def _rollback(request, app):
    """Bind db.session to one outer transaction that the test never commits."""
    if request.node.get_closest_marker("isolated"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    original, db.session = db.session, scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        with app.app_context():
            yield
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def isolated_app(tmp_path_factory):
    """A fresh app and database with real commits (PostgreSQL: a throwaway schema)."""
    yield from _fresh_app(tmp_path_factory, create_tables=True)


@pytest.fixture
def empty_app(tmp_path_factory):
    """Like isolated_app, with no tables: for migrations and `flask init`."""
    yield from _fresh_app(tmp_path_factory, create_tables=False)


def _fresh_app(tmp_path_factory, create_tables):
    with _database(tmp_path_factory, "isolated") as (url, options):
        app = _make_app(url, options)
        if create_tables:
            with app.app_context():
                db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factory fixture: make.unit(), make.window(), make.campaign(), make.user() …"""
    return factories.Factory(db.session)


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html):
    match = _CSRF.search(html if isinstance(html, str) else html.decode())
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def login(client, make):
    """Sign a staff user of `role` in on the test client; returns the user."""

    def _login(role="admin", unit=None, password="a-long-test-password"):
        user = make.user(role=role, unit=unit, password=password)
        token = csrf_from(client.get("/auth/login").data)
        response = client.post("/auth/login", data={"username": user.username, "password": password,
                                                     "csrf_token": token})
        assert response.status_code == 302, response.data.decode()
        return user

    return _login


@pytest.fixture
def live_server(isolated_app):
    """Serve `isolated_app` on a free local port in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, isolated_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"


def _chromium_page(**context):
    """A Playwright page in headless Debian Chromium with the given context options."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser.new_context(has_touch=True, locale="zh-CN", **context).new_page()
        browser.close()


@pytest.fixture
def phone_page():
    """A Playwright page in headless Chromium at a 390×844 phone viewport."""
    yield from _chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True)


@pytest.fixture
def tablet_page():
    """A Playwright page in headless Chromium at a 1024×768 tablet viewport (a hall pad in landscape)."""
    yield from _chromium_page(viewport={"width": 1024, "height": 768}, is_mobile=True)
