"""A bad survey rating with a phone number opens a callback case (回访); the response stays anonymous
and unlinkable by content; the citizen gets the number and query code to follow the case."""
import logging
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from complaints import notify, operations as ops
from complaints.models import Case, CaseEvent, OutboxMessage
from surveys.models import Response
from tests.conftest import csrf_from

COMMENT = "排队两小时没人管,3号窗口的王某某很凶"


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


def test_questionnaire_offers_the_phone_field_and_says_honestly_what_it_is_for(client, survey_window):
    html = client.get(f"/s/{survey_window.code}").data.decode()
    assert "如需回访,请留下手机号(选填)" in html and 'name="contact_phone"' in html
    assert "与答卷分开保存" in html and "看不到您的其他答案和意见" in html
    assert "不与答卷一起保存" not in html


def test_bad_rating_with_phone_opens_a_callback_case_without_the_comment(client, survey_window):
    data = _answers(client, survey_window, "5", first="2", contact_phone="138 1234 5678", comment=COMMENT)
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    case = _cases()[0]
    assert (case.kind, case.channel, case.status, case.citizen_phone) == ("callback", "survey", "received", "13812345678")
    assert case.unit_id == survey_window.unit_id and case.window_id is None
    assert "服务态度:工作人员的服务态度" in case.description and "差评" in case.description
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


def test_first_notice_brings_number_and_code_so_the_citizen_can_follow_and_rate(client, survey_window, make):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "1", contact_phone="13812345678"))
    case = _cases()[0]
    notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()
    assert (notice.audience, notice.topic, notice.phone) == ("citizen", "callback", "13812345678")
    code = re.search(r"查询码([A-Z0-9]{8})", notice.body).group(1)
    assert case.number in notice.body and "/cases/lookup" in notice.body
    assert ops.query_hash(code) == case.query_hash

    handler = make.user("handler")
    ops.accept(case, handler, "已电话回访,情况属实")
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
    notice = db.session.scalars(sa.select(OutboxMessage)).one()
    code = re.search(r"查询码([A-Z0-9]{8})", notice.body).group(1)
    db.session.commit()
    login("admin")
    html = client.get("/admin/cases/outbox").data.decode()
    assert "查询码********" in html and code not in html
    # The migration tests run Alembic's fileConfig, which disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("complaints.notify"), "disabled", False)
    with caplog.at_level("INFO", logger="complaints.notify"):
        assert notify.deliver_pending() == 1
    assert "查询码********" in caplog.text and code not in caplog.text


def test_callback_is_handled_like_any_case(client, survey_window, make, login):
    client.post(f"/s/{survey_window.code}", data=_answers(client, survey_window, "1", contact_phone="13812345678"))
    case = _cases()[0]
    db.session.commit()
    login("handler")
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert "差评回访" in html and "回访核实" in html and "回访核实完毕,受理" in html
    handler = make.user("handler")
    ops.accept(case, handler, "已电话回访,情况属实")
    ops.assign(case, handler, survey_window.unit)
    assert case.stage_label == "整改"


@pytest.mark.parametrize("level, phone", [("5", "13812345678"), ("3", "13812345678"), ("1", "")])
def test_no_callback_without_a_bad_rating_and_a_phone(client, survey_window, level, phone):
    data = _answers(client, survey_window, level, contact_phone=phone)
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    assert _cases() == []


def test_invalid_phone_is_refused_and_stores_nothing(client, survey_window):
    data = _answers(client, survey_window, "1", contact_phone="12345")
    response = client.post(f"/s/{survey_window.code}", data=data)
    assert response.status_code == 400 and "请填写11位中国大陆手机号码" in response.data.decode()
    assert _cases() == [] and db.session.scalars(sa.select(Response)).all() == []


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
    case = _cases()[0]
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.action for e in events] == ["create"] and events[0].actor_label == "系统"
    assert survey_window.code not in case.description and survey_window.name not in case.description
