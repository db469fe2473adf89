"""Hall pads: an admin's one-time code enrols a tablet for a window (wrong, expired, reused and revoked
codes refused), the pad shows the window's questionnaire without any personal field, a revoked pad is
refused, and a pad counts as one device with its own hourly limit."""
import hashlib
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from surveys.kiosk import operations as ops
from surveys.kiosk.models import Pad
from surveys.kiosk.views import PAD_COOKIE
from surveys.models import Response
from tests.conftest import csrf_from
from tests.factories import Factory

TICKET = re.compile(r'name="ticket" type="hidden" value="([^"]*)"')


@pytest.fixture
def window(make):
    make.campaign()
    return make.window(name="不动产登记窗口")


def _code(window, minutes=30):
    _pad, code = ops.issue_code(window, "一号台面", minutes=minutes, actor=None)
    return code


def _enrol(client, code):
    token = csrf_from(client.get("/kiosk/enrol").data)
    return client.post("/kiosk/enrol", data={"csrf_token": token, "code": code})


def code_of(shown):
    return shown.replace("-", "")


def _pad_credential(client):
    cookie = client.get_cookie(PAD_COOKIE, path="/kiosk/")
    return cookie.value if cookie else None


def _answers(client, address="10.2.2.2"):
    html = client.get("/kiosk/", environ_base={"REMOTE_ADDR": address}).data.decode()
    data = {name: "4" for name in set(re.findall(r'name="(item_\d+)"', html))}
    return {**data, "csrf_token": csrf_from(html), "ticket": TICKET.search(html).group(1)}


def _submit(client, address="10.2.2.2"):
    return client.post("/kiosk/", data=_answers(client, address), environ_base={"REMOTE_ADDR": address})


def _count():
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


def test_admin_issues_a_code_shown_once_and_stored_hashed(client, login, window):
    admin = login("admin")
    listing = client.get(f"/admin/surveys/pads?window={window.code}")
    assert listing.status_code == 200 and "尚未启用评价平板" in listing.data.decode()
    token = csrf_from(listing.data)
    page = client.post("/admin/surveys/pads", data={"csrf_token": token, "window": window.code, "name": "一号台面"})
    html = page.data.decode()
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = re.search(r'id="pad-code">([^<]+)<', html).group(1)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", shown)
    assert "/kiosk/enrol" in html and "只显示这一次" in html
    pad = db.session.scalars(sa.select(Pad)).one()
    assert pad.code_hash == hashlib.sha256(code_of(shown).encode()).hexdigest()
    assert (pad.window_id, pad.created_by_id, pad.enrolled_at) == (window.id, admin.id, None)
    assert 29 <= (pad.code_expires_at - pad.created_at).total_seconds() / 60 <= 30  # the scheme's minutes
    again = client.get(f"/admin/surveys/pads?window={window.code}").data.decode()
    assert shown not in again and "一号台面" in again and "待启用" in again
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "pad.issue")).one()
    assert entry.user_id == admin.id and shown not in entry.details and code_of(shown) not in entry.details


def test_only_admins_manage_pads(client, login, make, window):
    login("liaison", unit=window.unit)
    assert client.get("/admin/surveys/pads").status_code == 403


def test_a_code_enrols_the_pad_which_then_shows_its_window(client, window):
    code = _code(window)
    response = _enrol(client, f"  {code[:4].lower()} {code[4:8]}-{code[8:]} ")  # as typed: spaces, lower case
    assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk/")
    cookie = client.get_cookie(PAD_COOKIE, path="/kiosk/")
    assert cookie.http_only and cookie.same_site == "Strict" and len(cookie.value) >= 40
    pad = db.session.scalars(sa.select(Pad)).one()
    assert pad.credential_hash == hashlib.sha256(cookie.value.encode()).hexdigest() and pad.enrolled_at
    page = client.get("/kiosk/")
    html = page.data.decode()
    assert page.status_code == 200 and window.name in html and window.unit.name in html
    assert "contact_phone" not in html and 'type="tel"' not in html, "a pad asks for no phone number"
    assert "/cases/new" not in html and 'data-reset-after="90" data-warn-before="20"' in html
    assert db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "pad.enrol")).all()


@pytest.mark.parametrize("case", ["wrong", "expired", "reused", "revoked"])
def test_a_bad_code_enrols_nothing(app, client, window, monkeypatch, case):
    code = _code(window)
    if case == "wrong":
        code = "ABCDEFGHJKMN"
    elif case == "expired":
        later = utcnow() + timedelta(minutes=31)
        monkeypatch.setattr(ops, "utcnow", lambda: later)
    elif case == "reused":
        ops.enrol(code)  # another pad typed it first
    else:
        ops.revoke(db.session.scalars(sa.select(Pad)).one(), actor=None)
    enrolled = db.session.scalar(sa.select(sa.func.count(Pad.id)).where(Pad.enrolled_at.is_not(None)))
    response = _enrol(client, code)
    message = {"wrong": ops.CODE_WRONG, "expired": ops.CODE_EXPIRED, "reused": ops.CODE_USED,
               "revoked": ops.CODE_EXPIRED}[case]
    assert response.status_code == 400 and message in response.data.decode()
    assert _pad_credential(client) is None
    assert db.session.scalar(sa.select(sa.func.count(Pad.id)).where(Pad.enrolled_at.is_not(None))) == enrolled


def test_a_browser_without_a_credential_is_sent_to_enrol_and_cannot_post(client, window):
    assert client.get("/kiosk/").headers["Location"].endswith("/kiosk/enrol")
    client.set_cookie(PAD_COOKIE, "forged-credential-of-forty-characters-xx", path="/kiosk/")
    assert client.get("/kiosk/").status_code == 302
    refused = client.post("/kiosk/", data={"item_1": "5"})
    assert refused.status_code == 403 and "尚未启用为评价平板" in refused.data.decode()
    assert _count() == 0


def test_a_submission_is_a_pad_response_without_client_hash(client, window):
    _enrol(client, _code(window))
    response = _submit(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk/thanks")
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.channel, stored.group, stored.window_id, stored.client_hash) == ("pad", "nonfixed", window.id, None)
    thanks = client.get("/kiosk/thanks")
    html = thanks.data.decode()
    assert 'data-reset-after="5" data-reset-url="/kiosk/"' in html and "/cases/new" not in html
    assert '<noscript><meta http-equiv="refresh" content="5;url=/kiosk/"></noscript>' in html
    assert thanks.headers["Cache-Control"] == "no-store"


def test_the_same_page_posted_twice_stores_once(client, window):
    _enrol(client, _code(window))
    data = _answers(client)
    assert client.post("/kiosk/", data=data).status_code == 302
    assert client.post("/kiosk/", data=data).headers["Location"].endswith("/kiosk/thanks")
    assert _count() == 1


def test_a_revoked_pad_is_refused_and_forgets_its_credential(client, login, window):
    _enrol(client, _code(window))
    data, credential = _answers(client), _pad_credential(client)
    pad = db.session.scalars(sa.select(Pad)).one()
    admin = login("admin")
    listing = client.get(f"/admin/surveys/pads?window={window.code}").data.decode()
    assert "使用中" in listing
    revoked = client.post(f"/admin/surveys/pads/{pad.id}/revoke", data={"csrf_token": csrf_from(listing)})
    assert revoked.status_code == 302 and pad.revoked_by_id == admin.id
    assert "已停用" in client.get(f"/admin/surveys/pads?window={window.code}").data.decode()
    post = client.post("/kiosk/", data=data)
    assert post.status_code == 403 and ops.PAD_REVOKED in post.data.decode()
    assert _count() == 0 and _pad_credential(client) is None, "the refused pad's cookie is deleted"
    client.set_cookie(PAD_COOKIE, credential, path="/kiosk/")  # a pad that kept it anyway
    page = client.get("/kiosk/")
    assert page.status_code == 403 and "Max-Age=0" in page.headers["Set-Cookie"]


def _scheme(app, tmp_path, **values):
    text = read_scheme_file("default").text
    for name, value in values.items():
        text = re.sub(rf"^{name} = \d+", f"{name} = {value}", text, flags=re.M)
    path = tmp_path / "scheme.toml"
    path.write_text(text, encoding="utf-8")
    app.config["SCHEME"] = str(path)


@pytest.fixture
def restore_scheme(app):
    yield
    app.config["SCHEME"] = "default"


def test_a_pad_is_one_device_with_its_own_limit_beyond_its_address(app, client, window, tmp_path, restore_scheme):
    _scheme(app, tmp_path, pad_rate_limit=12, address_rate_limit=10)
    _enrol(client, _code(window))
    codes = [_submit(client).status_code for _ in range(13)]
    assert codes == [302] * 12 + [429]
    refused = _submit(client)
    assert refused.status_code == 429 and "本评价平板一小时内收到的评价已达上限" in refused.data.decode()
    assert _count() == 12
    # The pad used none of its network's quota: a phone on the hall's Wi-Fi still rates the window. (The
    # same test client: the pad's cookie is not sent to /s/, and the test's app context keeps one CSRF token.)
    phone = client
    html = phone.get(f"/s/{window.code}", environ_base={"REMOTE_ADDR": "10.2.2.2"}).data.decode()
    data = {name: "5" for name in set(re.findall(r'name="(item_\d+)"', html))}
    data.update(csrf_token=csrf_from(html), ticket=TICKET.search(html).group(1))
    assert phone.post(f"/s/{window.code}", data=data, environ_base={"REMOTE_ADDR": "10.2.2.2"}).status_code == 302


def test_the_pad_limit_and_timings_come_from_the_scheme(app, client, window, tmp_path, restore_scheme):
    _scheme(app, tmp_path, pad_rate_limit=1, idle_reset_s=7, idle_warning_s=3, reset_after_submit_s=2)
    _enrol(client, _code(window))
    assert 'data-reset-after="7" data-warn-before="3"' in client.get("/kiosk/").data.decode()
    assert _submit(client).status_code == 302 and _submit(client).status_code == 429
    assert 'data-reset-after="2"' in client.get("/kiosk/thanks").data.decode()


@pytest.mark.isolated
def test_pads_typing_one_code_at_once_get_one_credential(isolated_app):
    with isolated_app.app_context():
        make = Factory(db.session)
        make.campaign()
        code = _code(make.window())
        db.session.commit()
    clients = [isolated_app.test_client() for _ in range(6)]
    tokens = [csrf_from(c.get("/kiosk/enrol").data) for c in clients]
    barrier, codes = threading.Barrier(len(clients)), []

    def run(client, token):
        barrier.wait()
        codes.append(client.post("/kiosk/enrol", data={"csrf_token": token, "code": code}).status_code)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [302] + [400] * 5
    assert sum(_pad_credential(c) is not None for c in clients) == 1


def test_the_pad_asks_for_a_service_to_rate(client, window, monkeypatch):
    """The hook for service records: /kiosk/next answers the pad's waiting service (none until they exist),
    and only to a pad."""
    _enrol(client, _code(window))
    answer = client.get("/kiosk/next")
    assert answer.status_code == 200 and answer.json == {"rate": None}
    assert answer.headers["Cache-Control"] == "no-store"
    pads = []
    monkeypatch.setattr(ops, "waiting_service", lambda pad: pads.append(pad) or "/r/one-service")
    assert client.get("/kiosk/next").json == {"rate": "/r/one-service"} and pads[0].window_id == window.id
    page = client.get("/kiosk/").data.decode()
    assert 'data-poll-url="/kiosk/next"' in page and 'data-poll-after="5"' in page
    client.delete_cookie(PAD_COOKIE, path="/kiosk/")
    assert client.get("/kiosk/next").status_code == 403 and len(pads) == 1
