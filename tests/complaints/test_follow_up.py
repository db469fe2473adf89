"""A bad survey rating with a phone number opens a follow-up case; the response stays anonymous."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from complaints import operations as ops
from complaints.models import Case
from surveys.models import Response
from tests.conftest import csrf_from


@pytest.fixture
def survey_window(make, window):
    make.campaign()
    return window


def _answers(client, window, level, **extra):
    html = client.get(f"/s/{window.code}").data.decode()
    ticket = re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1)
    data = {name: level for name in set(re.findall(r'name="(item_\d+)"', html))}
    return {"csrf_token": csrf_from(html), "ticket": ticket, **data, **extra}


def _cases():
    return db.session.scalars(sa.select(Case)).all()


def test_questionnaire_offers_the_optional_phone_field(client, survey_window):
    html = client.get(f"/s/{survey_window.code}").data.decode()
    assert "如需回访,请留下手机号(选填)" in html and 'name="contact_phone"' in html


def test_bad_rating_with_phone_opens_a_follow_up_case(client, survey_window):
    data = _answers(client, survey_window, "2", contact_phone="138 1234 5678", comment="排队两小时没人管")
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    case = _cases()[0]
    assert (case.kind, case.channel, case.status, case.citizen_phone) == ("follow_up", "survey", "received", "13812345678")
    assert case.unit_id == survey_window.unit_id and case.window_id == survey_window.id
    assert "排队两小时没人管" in case.description and "工作人员的服务态度" in case.description
    assert (case.accept_days, case.reply_days) == (1, 15)
    response = db.session.scalars(sa.select(Response)).one()
    stored = " ".join(str(getattr(response, column.key)) for column in Response.__table__.columns)
    assert "13812345678" not in stored and "5678" not in response.comment


def test_follow_up_is_handled_like_any_case(client, survey_window, make, login):
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
def test_no_follow_up_without_a_bad_rating_and_a_phone(client, survey_window, level, phone):
    data = _answers(client, survey_window, level, contact_phone=phone)
    assert client.post(f"/s/{survey_window.code}", data=data).status_code == 302
    assert _cases() == []


def test_invalid_phone_is_refused_and_stores_nothing(client, survey_window):
    data = _answers(client, survey_window, "1", contact_phone="12345")
    response = client.post(f"/s/{survey_window.code}", data=data)
    assert response.status_code == 400 and "请填写11位中国大陆手机号码" in response.data.decode()
    assert _cases() == [] and db.session.scalars(sa.select(Response)).all() == []
