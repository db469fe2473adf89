"""Service records (办件评价): a unit's system registers a finished service with its API key and gets a
one-time rating link and QR code; the citizen's page names the service; one rating per service, whatever
the race; a 差评 with consent opens a callback without the phone staying on the record."""
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry import apikeys
from complaints.models import CallbackRequest
from surveys.models import Response
from surveys.services import operations as ops
from surveys.services.models import ServiceRecord
from tests.conftest import csrf_from
from tests.factories import Factory

TICKET = re.compile(r'name="ticket" type="hidden" value="([^"]*)"')


def _filled(html, level="5"):
    data = {name: level for name in set(re.findall(r'name="(item_\d+)"', html))}
    return {**data, "csrf_token": csrf_from(html), "ticket": TICKET.search(html).group(1)}


def _body(window, **overrides):
    body = {"unit_code": window.unit.code, "window_code": window.code, "matter_code": "11340000MB0000000X4340111001",
            "matter_name": "不动产登记资料查询", "case_number": "BDC20260302-0001", "officer_number": "A1029",
            "finished_at": "2026-03-02T10:15:00+08:00"}
    return {**body, **overrides}


@pytest.fixture
def window(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")
    make.campaign()
    window = make.window(name="不动产登记窗口")
    db.session.commit()
    return window


@pytest.fixture
def key(window):
    _api_key, key = apikeys.create_api_key(window.unit, "不动产登记系统")
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def _register(client, key, window, **overrides):
    return client.post("/api/v1/services", json=_body(window, **overrides), headers=key)


def _path(url):
    return url.removeprefix("https://xn.example.gov.cn")


def test_a_system_registers_a_service_and_gets_a_rating_link_and_qr(client, key, window):
    response = _register(client, key, window, mobile="139 1234 5678", callback_consent=True)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["rating_url"].startswith("https://xn.example.gov.cn/r/") and body["status"] == "waiting"
    assert body["qr_svg_url"] == body["rating_url"] + "/qr.svg" and body["qr_png_url"] == body["rating_url"] + "/qr.png"
    assert body["expires_at"].endswith("+08:00") and body["callback"] is True
    record = db.session.scalars(sa.select(ServiceRecord)).one()
    assert (record.matter_name, record.case_number, record.officer_number, record.callback_phone) == \
        ("不动产登记资料查询", "BDC20260302-0001", "A1029", "13912345678")
    assert record.finished_at.hour == 2 and record.expires_at - record.created_at == timedelta(days=7)
    assert rating_token_not_stored(record, body["rating_url"])
    svg = client.get(_path(body["qr_svg_url"]))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and body["rating_url"] in svg.data.decode()
    png = client.get(_path(body["qr_png_url"]))
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    status = client.get(f"/api/v1/services/{body['service_id']}", headers=key).get_json()
    assert status["status"] == "waiting" and status["rating_url"] == body["rating_url"]


def rating_token_not_stored(record, url):
    token = url.rsplit("/", 1)[1]
    return token not in str([getattr(record, c.key) for c in ServiceRecord.__table__.columns]) \
        and record.token_hash == ops.token_hash(token)


def test_registering_again_returns_the_same_record_and_other_details_are_refused(client, key, window):
    first = _register(client, key, window).get_json()
    again = _register(client, key, window)
    assert again.status_code == 200 and again.get_json() == {**first, "callback": False}
    clash = _register(client, key, window, officer_number="B2000")
    assert clash.status_code == 409 and "已登记为另一件办件" in clash.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count(ServiceRecord.id))) == 1


def test_a_mobile_without_consent_is_not_kept(client, key, window):
    body = _register(client, key, window, mobile="13912345678").get_json()
    assert body["callback"] is False and db.session.scalars(sa.select(ServiceRecord)).one().callback_phone is None


@pytest.mark.parametrize("overrides, field", [
    ({"matter_name": ""}, "matter_name"), ({"case_number": 12}, "case_number"),
    ({"finished_at": "昨天"}, "finished_at"), ({"finished_at": "2099-01-01T00:00:00+08:00"}, "finished_at"),
    ({"mobile": "12345"}, "mobile"), ({"callback_consent": "yes"}, "callback_consent"),
    ({"window_code": "NO-SUCH"}, "window_code"), ({"officer_number": "A\x00"}, "officer_number"),
])
def test_bad_fields_are_named_in_chinese_and_nothing_is_stored(client, key, window, overrides, field):
    response = _register(client, key, window, **overrides)
    assert response.status_code == 400 and field in response.get_json()["fields"], response.get_json()
    assert db.session.scalar(sa.select(sa.func.count(ServiceRecord.id))) == 0


def test_without_a_key_or_with_another_units_key_nothing_is_registered(client, make, key, window):
    assert client.post("/api/v1/services", json=_body(window)).status_code == 401
    other = make.window()
    db.session.commit()
    refused = _register(client, key, other)
    assert refused.status_code == 403 and "只能用于" in refused.get_json()["error"]
    _api_key, other_key = apikeys.create_api_key(other.unit, "别的系统")
    db.session.commit()
    mine = _register(client, key, window).get_json()
    assert client.get(f"/api/v1/services/{mine['service_id']}",
                      headers={"Authorization": f"Bearer {other_key}"}).status_code == 403
    assert client.post("/api/v1/services", data="{", headers={**key, "Content-Type": "application/json"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ServiceRecord.id))) == 1


def test_the_rating_page_names_the_service_and_takes_one_rating(client, key, window):
    url = _path(_register(client, key, window).get_json()["rating_url"])
    page = client.get(url)
    html = page.data.decode()
    assert page.status_code == 200 and "不动产登记资料查询" in html and "BDC20260302-0001" in html
    assert "每件办件只能评价一次" in html and "不同于窗口二维码的匿名问卷" in html and "A1029" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    data = _filled(html, "4")
    first = client.post(url, data=data)
    assert first.status_code == 303 and first.headers["Location"].endswith(url + "?done=1")
    assert "感谢您的评价" in client.get(first.headers["Location"]).data.decode()
    again = client.post(url, data=data)  # a double tap: thanked again, nothing stored
    assert again.status_code == 303 and again.headers["Location"].endswith("?done=1")
    done = client.get(url).data.decode()
    assert "已经评价过" in done and 'name="ticket"' not in done
    response = db.session.scalars(sa.select(Response)).one()
    record = db.session.scalars(sa.select(ServiceRecord)).one()
    assert (response.channel, response.group, response.window_id, response.client_hash) == \
        ("service", "nonfixed", window.id, None)
    assert record.response_id == response.id and {a.level for a in response.answers} <= {4, None}


def test_a_replayed_post_of_another_page_stores_nothing_more(client, key, window):
    url = _path(_register(client, key, window).get_json()["rating_url"])
    pages = [_filled(client.get(url).data.decode(), level) for level in ("5", "1")]
    posted = [client.post(url, data=page) for page in pages]
    assert [p.status_code for p in posted] == [303, 303] and posted[1].headers["Location"].endswith(url)
    assert "已经评价过" in client.get(url).data.decode()
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1
    assert {a.level for a in db.session.scalars(sa.select(Response)).one().answers} - {None} == {5}


def test_an_expired_or_unknown_link_takes_no_rating(client, key, window):
    url = _path(_register(client, key, window).get_json()["rating_url"])
    data = _filled(client.get(url).data.decode())
    record = db.session.scalars(sa.select(ServiceRecord)).one()
    record.created_at = utcnow() - timedelta(days=8)
    record.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    expired = client.post(url, data=data)
    assert expired.status_code == 410 and "已过期" in expired.data.decode()
    assert client.get(url + "/qr.png").status_code == 410
    assert client.get("/r/not-a-token").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


def test_a_bad_rating_with_consent_opens_a_callback_and_erases_the_phone(client, key, window):
    url = _path(_register(client, key, window, mobile="13912345678", callback_consent=True).get_json()["rating_url"])
    assert "同意接受回访" in client.get(url).data.decode()
    assert client.post(url, data=_filled(client.get(url).data.decode(), "1")).status_code == 303
    request = db.session.scalars(sa.select(CallbackRequest)).one()
    assert request.phone == "13912345678" and request.unit_id == window.unit_id
    assert "不动产" not in request.items and "BDC" not in request.items
    assert db.session.scalars(sa.select(ServiceRecord)).one().callback_phone is None


def test_a_good_rating_opens_no_callback_and_expired_phones_are_erased(client, key, window):
    for number, level in (("N-1", "5"), ("N-2", None)):
        body = _register(client, key, window, case_number=number, mobile="13912345678", callback_consent=True).get_json()
        if level:
            url = _path(body["rating_url"])
            client.post(url, data=_filled(client.get(url).data.decode(), level))
    assert db.session.scalar(sa.select(sa.func.count(CallbackRequest.id))) == 0
    kept = db.session.scalars(sa.select(ServiceRecord).where(ServiceRecord.case_number == "N-2")).one()
    assert kept.callback_phone == "13912345678"
    assert ops.erase_expired_phones(now=kept.expires_at - timedelta(seconds=1)) == 0
    assert ops.erase_expired_phones(now=kept.expires_at) == 1
    db.session.refresh(kept)
    assert kept.callback_phone is None


def _commit_service(app):
    with app.app_context():
        make = Factory(db.session)
        make.campaign()
        window = make.window()
        record, _ = ops.register(window=window, matter_code="M1", matter_name="身份证换领", case_number="C1",
                                 officer_number="007", finished_at=utcnow(), staff=make.user("admin"))
        db.session.commit()
        return "/r/" + ops.rating_token(record)


@pytest.mark.isolated
def test_eight_phones_posting_at_once_store_one_rating(isolated_app):
    url = _commit_service(isolated_app)
    clients = [isolated_app.test_client() for _ in range(8)]
    pages = [_filled(c.get(url).data.decode(), str(1 + i % 5)) for i, c in enumerate(clients)]
    barrier, codes = threading.Barrier(len(clients)), []

    def run(browser, data):
        barrier.wait()
        codes.append(browser.post(url, data=data).status_code)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(clients, pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == [303] * 8
    with isolated_app.app_context():
        record = db.session.scalars(sa.select(ServiceRecord)).one()
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1
        assert record.response_id == db.session.scalar(sa.select(Response.id))


def test_the_claim_holds_when_the_page_read_the_record_before_another_rating(client, key, window):
    """The conditional UPDATE decides, not what the request read earlier: a record rated meanwhile (its
    in-memory copy still unrated) takes no second response."""
    url = _path(_register(client, key, window).get_json()["rating_url"])
    client.post(url, data=_filled(client.get(url).data.decode()))
    record = db.session.scalars(sa.select(ServiceRecord)).one()
    first = record.response_id
    db.session.execute(sa.update(ServiceRecord).values(response_id=None).execution_options(synchronize_session=False))
    db.session.expire(record)
    record.response_id  # loaded as unrated ...
    db.session.execute(sa.update(ServiceRecord).values(response_id=first).execution_options(synchronize_session=False))
    items = db.session.scalars(sa.select(Response)).one().questionnaire.items
    with pytest.raises(ops.AlreadyRated):  # ... but rated in the database when the claim runs
        ops.rate(record, levels={item.id: 3 for item in items}, comment="", duration_s=None, ticket_hash=None)
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


def _staff_post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(url).data), **data})


def test_a_window_officer_registers_a_service_on_the_page_and_shows_its_qr(client, login, make, window):
    liaison = login("liaison", unit=window.unit)
    other = make.window()
    page = client.get("/staff/services/new").data.decode()
    assert window.code in page and other.code not in page
    registered = _staff_post(client, "/staff/services/new", {
        "window": window.code, "matter_code": "M-01", "matter_name": "营业执照变更登记", "case_number": "YZ-9",
        "officer_number": "0815", "finished_at": "2026-03-02T09:30", "mobile": "", "callback_consent": ""})
    assert registered.status_code == 302
    record = db.session.scalars(sa.select(ServiceRecord)).one()
    assert (record.registered_by_id, record.api_key_id, record.unit_id) == (liaison.id, None, window.unit_id)
    shown = client.get(registered.headers["Location"]).data.decode()
    assert "营业执照变更登记" in shown and "/r/" in shown and "qr.svg" in shown
    listing = client.get("/staff/services/").data.decode()
    assert "YZ-9" in listing and "待评价" in listing
    refused = _staff_post(client, "/staff/services/new", {
        "window": other.code, "matter_code": "M", "matter_name": "x", "case_number": "X-1", "officer_number": "1",
        "finished_at": "2026-03-02T09:30"})
    assert refused.status_code == 400
    clash = _staff_post(client, "/staff/services/new", {
        "window": window.code, "matter_code": "M-02", "matter_name": "另一事项", "case_number": "YZ-9",
        "officer_number": "0815", "finished_at": "2026-03-02T09:30"})
    assert clash.status_code == 409 and "已登记为另一件办件" in clash.data.decode()
    mine_elsewhere, _ = ops.register(window=other, matter_code="M", matter_name="x", case_number="Z",
                                     officer_number="1", finished_at=utcnow(), staff=liaison)
    db.session.commit()
    assert client.get(f"/staff/services/{mine_elsewhere.public_id}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ServiceRecord.id))) == 2


def test_handlers_cannot_register_services(client, login):
    login("handler")
    assert client.get("/staff/services/new").status_code == 403


def test_the_windows_hall_pad_opens_the_service_just_registered(client, key, window):
    from surveys.kiosk import operations as pads

    _pad, code = pads.issue_code(window, "一号台面", minutes=30, actor=None)
    db.session.commit()
    client.post("/kiosk/enrol", data={"csrf_token": csrf_from(client.get("/kiosk/enrol").data), "code": code})
    assert client.get("/kiosk/next").json == {"rate": None}
    older = _register(client, key, window, case_number="P-1").get_json()
    newer = _register(client, key, window, case_number="P-2").get_json()
    assert client.get("/kiosk/next").json == {"rate": _path(newer["rating_url"])}
    url = _path(newer["rating_url"])
    client.post(url, data=_filled(client.get(url).data.decode()))
    assert client.get("/kiosk/next").json == {"rate": _path(older["rating_url"])}
    db.session.execute(sa.update(ServiceRecord).values(created_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    assert client.get("/kiosk/next").json == {"rate": None}  # registered longer ago than [services] pad_pickup_minutes


def test_the_openapi_file_documents_services(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/services"]["post"]["security"] == [{"apiKey": []}]
    assert {"201", "200", "400", "401", "403", "409", "429"} <= set(paths["/services"]["post"]["responses"])
    assert "/services/{service_id}" in paths
