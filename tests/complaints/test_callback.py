"""A bad survey rating with a phone number leaves a pending callback request; the sweep opens the callback
case (回访) later, in random order, so neither content nor timestamps link it to the anonymous response;
the citizen gets the number and query code to follow the case."""
import logging
import re
import secrets
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.kernel.clock import local_today
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from complaints import operations as ops
from app.kernel.clock import local_date
from complaints.models import CallbackRequest, Case, CaseEvent, OutboxMessage
from complaints.sweep import sweep
from surveys.models import Campaign, Response
from tests.conftest import csrf_from

COMMENT = "排队两小时没人管，3号窗口的王某某很凶"


@pytest.fixture
def survey_window(make, window):
    make.campaign()
    return window


def _answers(client, window, level, first=None, **extra):
    """Form data rating every item `level`, except the first item `first` if given."""
    html = client.get(f"/s/{window.code}").data.decode()
    ticket = re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1)
    names = list(dict.fromkeys(re.findall(r'name="(item_\d+)"', html)))
    data = {name: level for name in names}
    if first:
        data[names[0]] = first
    return {"csrf_token": csrf_from(html), "ticket": ticket, **data, **extra}


def _cases():
    return db.session.scalars(sa.select(Case)).all()


def _pending():
    return db.session.scalars(sa.select(CallbackRequest)).all()


def _sweep_later(hours=1):
    """Run the sweep as cron would, some time after the response; returns the sweep's `now`."""
    now = (utcnow() + timedelta(hours=hours)).replace(microsecond=0)
    sweep(now)
    return now


def _bad_rating_then_sweep(client, window, **extra):
    client.post(f"/s/{window.code}", data=_answers(client, window, "1", contact_phone="13812345678", **extra))
    _sweep_later()
    return _cases()[0]


def test_questionnaire_offers_the_phone_field_and_says_honestly_what_it_is_for(client, survey_window):
    html = client.get(f"/s/{survey_window.code}").data.decode()
    assert "如需回访，请留下手机号（选填）" in html and 'name="contact_phone"' in html
    assert "与答卷分开保存" in html and "看不到您的其他答案和意见" in html
    assert "不与答卷一起保存" not in html


def test_bad_rating_with_phone_leads_to_a_callback_case_without_the_comment(client, survey_window):
    data = _answers(client, survey_window, "5", first="2", contact_phone="138 1234 5678", comment=COMMENT)
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    assert _cases() == [] and len(_pending()) == 1  # nothing opened in the request itself
    _sweep_later()
    case = _cases()[0]
    assert (case.kind, case.channel, case.status, case.citizen_phone) == ("callback", "survey", "received", "13812345678")
    assert case.unit_id == survey_window.unit_id and case.window_id is None
    assert "服务态度：工作人员的服务态度" in case.description and "差评" in case.description
    assert "要求回访" in case.description
    for other in ("办事效率", "总体评价"):  # rated 非常满意: not the case's business
        assert other not in case.description
    assert (case.accept_days, case.reply_days) == (1, 15)
    stored = [case.description, case.answer_given, *(e.note for e in case.events),
              *db.session.scalars(sa.select(OutboxMessage.body))]
    for text in stored:
        for trace in ("排队两小时", "王某某", "3号窗口", survey_window.name):
            assert trace not in text
    response = db.session.scalars(sa.select(Response)).one()
    assert response.comment == COMMENT
    columns = " ".join(str(getattr(response, column.key)) for column in Response.__table__.columns)
    assert "13812345678" not in columns and "5678" not in columns


def test_first_notice_brings_number_and_code_so_the_citizen_can_follow_and_rate(app, client, survey_window, make,
                                                                                monkeypatch):
    # The sweep runs from cron, outside any request: the link comes from PUBLIC_BASE_URL.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")
    case = _bad_rating_then_sweep(client, survey_window)
    notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()
    assert (notice.audience, notice.topic, notice.phone) == ("citizen", "callback", "13812345678")
    code = re.search(r"查询码([A-Z0-9]{8})", notice.body).group(1)
    assert case.number in notice.body and "https://xn.example.gov.cn/cases/lookup" in notice.body
    assert ops.query_hash(code) == case.query_hash

    handler = make.user("handler")
    ops.accept(case, handler, "已电话回访，情况属实")
    ops.assign(case, handler, survey_window.unit)
    ops.reply(case, handler, "已责成窗口整改并通报。")
    db.session.commit()
    # The browser that answered the survey holds no grant for the case: only the text message helps.
    assert client.get(f"/cases/{case.number}").status_code == 302
    page = client.get("/cases/lookup").data.decode()
    response = client.post("/cases/lookup", data={"csrf_token": csrf_from(page), "number": case.number,
                                                   "code": code})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).data.decode()
    assert "已责成窗口整改并通报。" in html and "请评价办理结果" in html
    assert client.post(f"/cases/{case.number}/rate", data={"csrf_token": csrf_from(html),
                                                           "rating": "satisfied"}).status_code == 302
    db.session.refresh(case)
    assert (case.status, case.rating) == ("closed", "satisfied")


def test_the_code_is_masked_on_the_outbox_page_and_in_the_log(client, survey_window, login, caplog, monkeypatch):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "1", contact_phone="13812345678"))
    # The migration tests run Alembic's fileConfig, which disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("complaints.notify"), "disabled", False)
    with caplog.at_level("INFO", logger="complaints.notify"):
        _sweep_later()  # the sweep opens the case and sends its first notice
    notice = db.session.scalars(sa.select(OutboxMessage)).one()
    assert notice.sent_at is not None
    code = re.search(r"查询码([A-Z0-9]{8})", notice.body).group(1)
    assert "查询码********" in caplog.text and code not in caplog.text
    db.session.commit()
    login("admin")
    html = client.get("/admin/cases/outbox").data.decode()
    assert "查询码********" in html and code not in html


def test_callback_is_handled_like_any_case(client, survey_window, make, login):
    case = _bad_rating_then_sweep(client, survey_window)
    db.session.commit()
    login("handler")
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert "差评回访" in html and "回访核实" in html and "回访核实完毕，受理" in html
    handler = make.user("handler")
    ops.accept(case, handler, "已电话回访，情况属实")
    ops.assign(case, handler, survey_window.unit)
    assert case.stage_label == "整改"


@pytest.mark.parametrize("level, phone", [("5", "13812345678"), ("3", "13812345678"), ("1", "")])
def test_no_callback_without_a_bad_rating_and_a_phone(client, survey_window, level, phone):
    data = _answers(client, survey_window, level, contact_phone=phone)
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    assert _pending() == []
    assert sweep(utcnow() + timedelta(hours=1))["callbacks"] == 0 and _cases() == []


def test_invalid_phone_is_refused_and_stores_nothing(client, survey_window):
    data = _answers(client, survey_window, "1", contact_phone="12345")
    response = client.post(f"/s/{survey_window.code}", data=data)
    assert response.status_code == 400 and "请填写11位中国大陆手机号码" in response.data.decode()
    assert _cases() == [] and _pending() == [] and db.session.scalars(sa.select(Response)).all() == []


def test_thanks_page_links_to_the_intake_form_for_all_four_kinds(client, survey_window):
    data = _answers(client, survey_window, "5")
    thanks = client.get(client.post(f"/s/{survey_window.code}", data=data).headers["Location"]).data.decode()
    assert "我要投诉 / 咨询 / 建议 / 举报" in thanks
    link = re.search(r'href="(/cases/new\?[^"]+)"', thanks).group(1).replace("&amp;", "&")
    assert f"unit={survey_window.unit.code}" in link and f"window={survey_window.code}" in link
    html = client.get(link).data.decode()
    assert re.search(rf'<option value="{survey_window.code}" data-unit="[^"]+" selected>', html)
    assert 'href="/cases/new"' in client.get("/thanks").data.decode()  # no unit: the bare form


def test_no_callback_event_or_case_mentions_the_window(client, survey_window):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "2", contact_phone="13812345678"))
    _sweep_later()
    case = _cases()[0]
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.action for e in events] == ["create"] and events[0].actor_label == "系统"
    assert survey_window.code not in case.description and survey_window.name not in case.description


def test_pending_request_keeps_the_day_only_and_nothing_of_the_response(client, survey_window):
    data = _answers(client, survey_window, "1", contact_phone="13812345678", comment=COMMENT)
    client.post(f"/s/{survey_window.code}", data=data)
    request = _pending()[0]
    assert (request.unit_id, request.phone, request.requested_on) == (survey_window.unit_id, "13812345678",
                                                                      local_today())
    assert "服务态度：工作人员的服务态度" in request.items and "排队两小时" not in request.items
    raw = db.session.execute(sa.text("SELECT requested_on FROM case_callback_requests")).scalar_one()
    assert not isinstance(raw, datetime) and str(raw) == local_today().isoformat()  # no time of day
    columns = {column.name: column.type.python_type for column in CallbackRequest.__table__.columns}
    assert set(columns) == {"id", "unit_id", "phone", "items", "requested_on"}
    assert columns["requested_on"] is date and datetime not in columns.values()
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []  # no SMS before the sweep


def test_sweep_opens_the_case_at_its_own_time_so_no_timestamp_points_to_the_response(client, survey_window):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "1", contact_phone="13812345678"))
    submitted_at = db.session.scalars(sa.select(Response)).one().submitted_at
    now = _sweep_later()
    db.session.expire_all()
    case = _cases()[0]
    assert _pending() == [] and case.received_at == now
    rows = [case, *db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)),
            *db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id))]
    stamps = [value for row in rows for column in row.__table__.columns
              if isinstance(value := getattr(row, column.key), datetime)]
    assert len(stamps) >= 4 and set(stamps) == {now}  # received_at, event, outbox created_at and sent_at
    assert all(abs(stamp - submitted_at) > timedelta(seconds=1) for stamp in stamps)
    # Deadlines count from the sweep: the callback is due within one working day of it.
    assert case.received_on == local_date(now)
    assert case.accept_days == 1 and case.accept_due_on > case.received_on


def test_sweep_opens_pending_callbacks_in_random_order(client, survey_window, monkeypatch):
    for phone in ("13800000001", "13800000002", "13800000003"):
        client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "1", contact_phone=phone))
    assert [r.phone for r in sorted(_pending(), key=lambda r: r.id)] == ["13800000001", "13800000002", "13800000003"]
    monkeypatch.setattr(secrets.SystemRandom, "shuffle", lambda _self, items: items.reverse())
    assert sweep(utcnow() + timedelta(hours=1))["callbacks"] == 3
    opened = db.session.scalars(sa.select(Case.citizen_phone).order_by(Case.id)).all()
    assert opened == ["13800000003", "13800000002", "13800000001"] and _pending() == []


def test_sweep_command_reports_the_callbacks_it_opened(client, survey_window, runner):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "2", contact_phone="13812345678"))
    db.session.commit()
    later = (utcnow() + timedelta(hours=1)).isoformat()
    result = runner.invoke(args=["cases", "sweep", "--now", later])
    assert result.exit_code == 0, result.output
    assert "差评回访立件 1" in result.output and "仅记录未外发 1" in result.output and "通知已发送 0" in result.output
    assert "差评回访立件 0" in runner.invoke(args=["cases", "sweep", "--now", later]).output


@pytest.fixture
def invitation(make):
    """An invited (fixed) respondent of a unit with its one-time token; the batch waits for 10 answers."""
    from surveys import operations as survey_ops

    campaign = make.campaign()
    respondent = make.fixed_respondent(name="合肥某某科技有限公司")
    (_, token), = survey_ops.issue_invitations(campaign, respondent.unit)
    return respondent, token


def _invited_answers(client, token, level, first=None, **extra):
    client.get(f"/i/{token}")
    html = client.get("/invite").data.decode()
    ticket = re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1)
    names = list(dict.fromkeys(re.findall(r'name="(item_\d+)"', html)))
    data = {name: level for name in names}
    if first:
        data[names[0]] = first
    return {"csrf_token": csrf_from(html), "ticket": ticket, **data, **extra}


def test_an_invited_respondent_asks_for_a_callback_without_the_phone_joining_the_answers(client, invitation):
    from surveys.models import PendingResponse
    from surveys.operations import store_pending_responses

    respondent, token = invitation
    client.get(f"/i/{token}")
    assert 'name="contact_phone"' in client.get("/invite").data.decode() and "与答卷分开保存" in client.get("/invite").data.decode()
    data = _invited_answers(client, token, "5", first="1", contact_phone="13700002222", comment=COMMENT)
    assert client.post("/invite", data=data).status_code == 302
    [request] = _pending()
    assert (request.unit_id, request.phone) == (respondent.unit_id, "13700002222")
    assert "服务态度" in request.items and respondent.name not in request.items
    waiting = db.session.scalars(sa.select(PendingResponse)).one()
    assert "13700002222" not in " ".join(str(getattr(waiting, c.key)) for c in PendingResponse.__table__.columns)
    store_pending_responses()
    response = db.session.scalars(sa.select(Response)).one()
    assert "13700002222" not in " ".join(str(getattr(response, c.key)) for c in Response.__table__.columns)
    _sweep_later()
    case = _cases()[0]
    assert (case.kind, case.citizen_phone, case.unit_id) == ("callback", "13700002222", respondent.unit_id)
    assert respondent.name not in case.description and COMMENT not in case.description


def test_an_invited_respondent_who_rates_well_or_leaves_no_phone_gets_no_callback(client, invitation, make):
    from surveys import operations as survey_ops

    respondent, token = invitation
    assert client.post("/invite", data=_invited_answers(client, token, "4", contact_phone="13700002222")).status_code == 302
    assert _pending() == []
    make.fixed_respondent(unit=respondent.unit)
    (_, second), = survey_ops.issue_invitations(db.session.scalars(sa.select(Campaign)).one(), respondent.unit)
    assert client.post("/invite", data=_invited_answers(client, second, "1")).status_code == 302
    assert _pending() == []
