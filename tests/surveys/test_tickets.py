"""One-time form tickets: a questionnaire page submitted twice (back button, double tap, replay,
two posts at once) stores one response and shows the thank-you page again."""
import re
import threading

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys import operations as ops
from surveys.models import PendingResponse, Response
from tests.conftest import csrf_from
from tests.factories import Factory

TICKET = re.compile(r'name="ticket" type="hidden" value="([^"]*)"')


def _filled(html, level="5"):
    data = {name: level for name in set(re.findall(r'name="(item_\d+)"', html))}
    return {**data, "csrf_token": csrf_from(html), "ticket": TICKET.search(html).group(1)}


def _count():
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


@pytest.fixture
def window(make):
    make.campaign()
    return make.window()


@pytest.fixture
def invited(make):
    campaign = make.campaign()
    respondent = make.fixed_respondent()
    (_, token), = ops.issue_invitations(campaign, respondent.unit)
    return respondent, token


def test_each_page_gets_its_own_ticket(client, window):
    first, second = (TICKET.search(client.get(f"/s/{window.code}").data.decode()).group(1) for _ in range(2))
    assert first and second and first != second


def test_walk_in_page_submitted_twice_is_stored_once(client, window):
    data = _filled(client.get(f"/s/{window.code}").data.decode())
    first = client.post(f"/s/{window.code}", data=data)
    again = client.post(f"/s/{window.code}", data={**data, "comment": "再次提交"})
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert "感谢您的评价" in client.get(again.headers["Location"]).data.decode()
    stored = db.session.scalars(sa.select(Response)).one()
    assert stored.comment == "" and len(stored.ticket_hash) == 64


def test_replay_past_the_rate_limit_is_still_thanked(client, window):
    pages = [_filled(client.get(f"/s/{window.code}").data.decode()) for _ in range(3)]
    for data in pages:
        assert client.post(f"/s/{window.code}", data=data).status_code == 302
    assert client.post(f"/s/{window.code}", data=pages[0]).status_code == 302
    assert _count() == 3


@pytest.mark.parametrize("ticket", ["", "forged.ticket.value", "InQi.old-style"])
def test_page_without_a_valid_ticket_is_shown_again_with_answers(client, window, ticket):
    data = {**_filled(client.get(f"/s/{window.code}").data.decode()), "ticket": ticket, "comment": "保留我"}
    refused = client.post(f"/s/{window.code}", data=data)
    html = refused.data.decode()
    assert refused.status_code == 400 and "页面已过期" in html and "保留我" in html
    assert _count() == 0
    fresh = TICKET.search(html).group(1)
    assert fresh and fresh != ticket
    assert client.post(f"/s/{window.code}", data={**data, "ticket": fresh}).status_code == 302
    assert _count() == 1


def test_invited_page_submitted_again_after_the_back_button_is_thanked(client, invited):
    respondent, token = invited
    client.get(f"/i/{token}")
    data = _filled(client.get("/invite").data.decode())
    first = client.post("/invite", data=data)
    again = client.post("/invite", data=data)  # the session no longer holds the invitation
    assert first.status_code == again.status_code == 302
    assert f"unit={respondent.unit.code}" in again.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(PendingResponse.id))) == 1
    ops.store_pending_responses()
    assert client.post("/invite", data=data).status_code == 302  # stored by now: thanked all the same
    assert _count() == 1


def _commit_campaign(app):
    with app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        window = make.window()
        respondent = make.fixed_respondent()
        (_, token), = ops.issue_invitations(campaign, respondent.unit)
        db.session.commit()
        return window.code, token


def _post_at_once(app, url, client, data, count):
    """`count` browsers sharing `client`'s cookies post `data` to `url` at the same moment."""
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        clients.append(app.test_client())
        clients[-1].set_cookie("session", cookie.value)
    barrier, codes = threading.Barrier(count), []

    def run(browser):
        barrier.wait()
        codes.append(browser.post(url, data=data).status_code)

    threads = [threading.Thread(target=run, args=(browser,)) for browser in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


@pytest.mark.isolated
@pytest.mark.parametrize("path", ["window", "invitation"])
def test_one_page_posted_eight_times_at_once_is_stored_once(isolated_app, path):
    window_code, token = _commit_campaign(isolated_app)
    client = isolated_app.test_client()
    if path == "window":
        url = f"/s/{window_code}"
    else:
        client.get(f"/i/{token}")
        url = "/invite"
    data = _filled(client.get(url).data.decode())
    codes = _post_at_once(isolated_app, url, client, data, 8)
    assert codes == [302] * 8
    with isolated_app.app_context():
        waiting = db.session.scalar(sa.select(sa.func.count(PendingResponse.id)))
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) + waiting == 1
