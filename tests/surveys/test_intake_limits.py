"""Walk-in intake limits: per device (its cookie) and per address, per window and clock hour, counted
in the response's transaction so they hold however many workers take the posts."""
import re
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from surveys import intake
from surveys.models import IntakeCounter, Response
from tests.conftest import csrf_from
from tests.factories import Factory

TICKET = re.compile(r'name="ticket" type="hidden" value="([^"]*)"')


@pytest.fixture
def window(make):
    make.campaign()
    return make.window()


def _page(client, url, **environ):
    html = client.get(url, environ_base=environ).data.decode()
    data = {name: "5" for name in set(re.findall(r'name="(item_\d+)"', html))}
    return {**data, "csrf_token": csrf_from(html), "ticket": TICKET.search(html).group(1)}


def _post(client, url, address="10.1.1.1", agent="phone"):
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    return client.post(url, data=_page(client, url, **environ), environ_base=environ)


def _new_phone(client):
    """Forget the device cookie: the next page opened gets a new one. (Tests share one client: the
    test's app context caches the CSRF token of one session.)"""
    client.delete_cookie(intake.DEVICE_COOKIE, path="/s/")


def _count():
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


def test_opening_the_questionnaire_sets_a_device_cookie_once(client, window):
    client.get(f"/s/{window.code}")
    cookie = client.get_cookie(intake.DEVICE_COOKIE, path="/s/")
    assert cookie and cookie.http_only and cookie.same_site == "Lax"
    again = client.get(f"/s/{window.code}")
    assert "Set-Cookie" not in again.headers or intake.DEVICE_COOKIE not in again.headers["Set-Cookie"]


def test_a_device_gets_three_an_hour_whatever_browser_string_it_sends(client, window):
    url = f"/s/{window.code}"
    for n in range(3):
        assert _post(client, url, agent=f"agent {n}").status_code == 302
    refused = _post(client, url, agent="yet another agent")
    html = refused.data.decode()
    assert refused.status_code == 429 and "一小时内提交的评价已达上限" in html and "请稍后再试" in html
    assert _count() == 3


def test_people_on_one_office_network_each_have_their_own_quota(client, window):
    url = f"/s/{window.code}"
    for _phone in range(3):
        _new_phone(client)
        for _ in range(3):
            assert _post(client, url).status_code == 302
    assert _post(client, url).status_code == 429
    assert _count() == 9


def test_new_cookies_from_one_address_stop_at_the_address_limit(client, window):
    url = f"/s/{window.code}"
    codes = []
    for _ in range(12):
        _new_phone(client)
        codes.append(_post(client, url).status_code)
    assert codes == [302] * 10 + [429] * 2
    _new_phone(client)
    assert "您所在的网络" in _post(client, url).data.decode()
    assert _post(client, url, address="10.1.1.2").status_code == 302
    assert _count() == 11


def test_a_post_without_a_cookie_counts_as_its_address_cookieless_device(client, window):
    url = f"/s/{window.code}"
    codes = []
    for _ in range(4):
        data = _page(client, url, REMOTE_ADDR="10.1.1.1")
        _new_phone(client)
        codes.append(client.post(url, data=data, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code)
    assert codes == [302] * 3 + [429]


def test_limits_are_per_window_and_counters_keep_no_address(client, make, window):
    other = make.window()
    for _ in range(3):
        assert _post(client, f"/s/{window.code}").status_code == 302
    assert _post(client, f"/s/{other.code}").status_code == 302
    keys = db.session.scalars(sa.select(IntakeCounter.key)).all()
    stored = db.session.scalars(sa.select(Response.client_hash)).all()
    assert keys and not set(keys) & set(stored) and not any("10.1.1.1" in key for key in keys)


def test_limits_come_from_the_scheme(app, client, window, tmp_path):
    text = read_scheme_file("default").text
    path = tmp_path / "strict.toml"
    path.write_text(text.replace("nonfixed_rate_limit = 3", "nonfixed_rate_limit = 1"), encoding="utf-8")
    app.config["SCHEME"] = str(path)
    try:
        assert _post(client, f"/s/{window.code}").status_code == 302
        assert _post(client, f"/s/{window.code}").status_code == 429
    finally:
        app.config["SCHEME"] = "default"


def _pages(app, url, count, shared_device):
    """`count` filled pages, each with the client that opened it, all from one address."""
    first = app.test_client()
    pages = []
    for _ in range(count):
        client = first if shared_device else app.test_client()
        pages.append((client, _page(client, url, REMOTE_ADDR="10.9.9.9")))
    return pages


@pytest.mark.isolated
@pytest.mark.parametrize("shared_device, limit", [(True, 3), (False, 10)])
def test_forty_simultaneous_posts_store_at_most_the_limit(isolated_app, monkeypatch, shared_device, limit):
    monkeypatch.setattr(intake, "utcnow", lambda: datetime(2026, 3, 2, 9, 30))  # one clock hour for all
    with isolated_app.app_context():
        make = Factory(db.session)
        make.campaign()
        url = f"/s/{make.window().code}"
        db.session.commit()
    pages = _pages(isolated_app, url, 40, shared_device)
    barrier, codes = threading.Barrier(len(pages)), []

    def run(client, data):
        barrier.wait()
        codes.append(client.post(url, data=data, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code)

    threads = [threading.Thread(target=run, args=page) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(codes) == [302] * limit + [429] * (40 - limit)
    with isolated_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == limit
