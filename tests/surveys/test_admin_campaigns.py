"""Survey admin: campaigns and questionnaire versions."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from surveys import admin_operations as staff_ops
from surveys import operations as ops
from surveys.models import Answer, Campaign, Questionnaire
from tests.conftest import csrf_from

PAGES = ["/admin/surveys/campaigns", "/admin/surveys/campaigns/new", "/admin/surveys/questionnaires",
         "/admin/surveys/questionnaires/new", "/admin/surveys/units"]


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(url).data), **data})


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["liaison", "handler", "statistician"])
@pytest.mark.parametrize("url", PAGES)
def test_only_admin_manages_campaigns(client, login, role, url):
    login(role)
    assert client.get(url).status_code == 403


def _campaign_data(make, **overrides):
    data = {"year": "2031", "name": "2031年度服务对象测评", "opens_on": "2031-03-01", "closes_on": "2031-11-30",
            "fixed_questionnaire": str(make.questionnaire("fixed").id),
            "nonfixed_questionnaire": str(make.questionnaire("nonfixed").id)}
    return {**data, **overrides}


def _campaign_count():
    return db.session.scalar(sa.select(sa.func.count(Campaign.id)))


def test_create_and_edit_campaign(client, login, make):
    login("admin")
    data = _campaign_data(make)
    assert _post(client, "/admin/surveys/campaigns/new", data).status_code == 302
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.year == 2031))
    assert (campaign.opens_on, campaign.closes_on) == (date(2031, 3, 1), date(2031, 11, 30))
    assert campaign.fixed_questionnaire_id == int(data["fixed_questionnaire"])
    listing = client.get("/admin/surveys/campaigns").data.decode()
    assert "2031年度服务对象测评" in listing and "第1版" in listing
    edited = _post(client, f"/admin/surveys/campaigns/{campaign.id}", {**data, "closes_on": "2031-12-31"})
    assert edited.status_code == 302
    db.session.refresh(campaign)
    assert campaign.closes_on == date(2031, 12, 31)


def test_dates_must_be_ordered(client, login, make):
    login("admin")
    before = _campaign_count()
    response = _post(client, "/admin/surveys/campaigns/new", _campaign_data(make, opens_on="2031-12-01",
                                                                              closes_on="2031-01-01"))
    assert response.status_code == 400 and "开始日期不能晚于结束日期" in response.data.decode()
    assert _campaign_count() == before


def test_questionnaire_must_match_group(client, login, make):
    login("admin")
    before = _campaign_count()
    nonfixed = str(make.questionnaire("nonfixed").id)
    response = _post(client, "/admin/surveys/campaigns/new", _campaign_data(make, fixed_questionnaire=nonfixed))
    assert response.status_code == 400 and "固定服务对象选择该组别的问卷" in response.data.decode()
    assert _campaign_count() == before


def test_overlapping_campaigns_are_refused(client, login, make):
    login("admin")
    assert _post(client, "/admin/surveys/campaigns/new", _campaign_data(make)).status_code == 302
    response = _post(client, "/admin/surveys/campaigns/new",
                     _campaign_data(make, name="第二轮", opens_on="2031-11-01", closes_on="2032-01-31"))
    assert response.status_code == 409 and "重叠" in response.data.decode()
    assert db.session.scalar(sa.select(Campaign).where(Campaign.name == "第二轮")) is None


def test_bad_dates_are_form_errors(client, login, make):
    login("admin")
    response = _post(client, "/admin/surveys/campaigns/new", _campaign_data(make, opens_on="2031-02-30"))
    assert response.status_code == 400


def _item_rows(questionnaire, **changes):
    """Form data reproducing `questionnaire`'s items, with `changes` {index: {field: value}}."""
    data = {"title": questionnaire.title}
    for i, item in enumerate(questionnaire.items):
        row = {"position": str(i + 1), "code": item.code, "text": item.text, "dimension": item.dimension,
               "weight": str(item.weight), **({"allow_unknown": "y"} if item.allow_unknown else {})}
        row.update(changes.get(str(i), {}))
        data.update({f"items-{i}-{key}": value for key, value in row.items()})
    return data


def _answer_once(make, questionnaire):
    campaign = make.campaign()
    campaign.nonfixed_questionnaire_id = questionnaire.id
    db.session.flush()
    db.session.expire(campaign)
    ops.submit_response(campaign=campaign, unit=make.unit(), group="nonfixed", channel="paper",
                        levels={item.id: 4 for item in questionnaire.items})
    return campaign


def test_edit_without_answers_changes_in_place(client, login, make):
    login("admin")
    questionnaire = make.questionnaire("nonfixed", code="walkin")
    url = f"/admin/surveys/questionnaires/{questionnaire.id}"
    data = _item_rows(questionnaire, **{"0": {"text": "窗口人员是否热情"}})
    response = _post(client, url, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    db.session.expire_all()
    versions = db.session.scalars(sa.select(Questionnaire).where(Questionnaire.code == "walkin")).all()
    assert len(versions) == 1 and versions[0].version == 1
    assert versions[0].items[0].text == "窗口人员是否热情" and versions[0].items[0].code == "attitude"


def test_edit_with_answers_creates_a_new_version(client, login, make):
    login("admin")
    questionnaire = make.questionnaire("nonfixed", code="walkin2")
    campaign = _answer_once(make, questionnaire)
    old_item_ids = [item.id for item in questionnaire.items]
    page = client.get(f"/admin/surveys/questionnaires/{questionnaire.id}").data.decode()
    assert "将生成第2版" in page
    data = _item_rows(questionnaire, **{"1": {"weight": "3"}, "4": {"remove": "y"}})
    response = _post(client, f"/admin/surveys/questionnaires/{questionnaire.id}", data)
    assert response.status_code == 302
    db.session.expire_all()
    revised = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.code == "walkin2",
                                                             Questionnaire.version == 2))
    assert response.headers["Location"].endswith(f"/questionnaires/{revised.id}")
    assert [item.weight for item in revised.items] == [1.0, 3.0, 1.0, 1.0, 2.0]  # the fifth item removed
    assert db.session.get(Campaign, campaign.id).nonfixed_questionnaire_id == revised.id
    # The old answers still point at the old items, which kept their meaning.
    answered = set(db.session.scalars(sa.select(Answer.item_id)))
    assert answered == set(old_item_ids)
    assert db.session.get(Questionnaire, questionnaire.id).items[5].code == "overall"
    listing = client.get("/admin/surveys/questionnaires").data.decode()
    assert "第2版（最新）" in listing and campaign.name in listing


def test_old_version_is_read_only(client, login, make):
    login("admin")
    questionnaire = make.questionnaire("nonfixed", code="walkin3")
    _answer_once(make, questionnaire)
    staff_ops.edit_questionnaire(questionnaire, title="新标题", items=[
        {"code": "only", "text": "唯一的题", "dimension": "总体评价", "weight": 1.0, "allow_unknown": False}])
    page = client.get(f"/admin/surveys/questionnaires/{questionnaire.id}").data.decode()
    assert "历史版本" in page and 'name="items-0-code"' not in page
    token = csrf_from(client.get("/admin/surveys/questionnaires/new").data)
    response = client.post(f"/admin/surveys/questionnaires/{questionnaire.id}",
                           data={"csrf_token": token, **_item_rows(questionnaire)})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.max(Questionnaire.version))
                             .where(Questionnaire.code == "walkin3")) == 2


@pytest.mark.parametrize("change, message", [
    ({"1": {"weight": "0"}}, "权重须大于0"),
    ({"1": {"weight": "-1"}}, "权重须大于0"),
    ({"1": {"weight": "nan"}}, "权重须大于0"),
    ({"1": {"weight": "inf"}}, "权重须大于0"),
    ({"1": {"code": "attitude"}}, "题目代码重复"),
    ({"1": {"text": ""}}, "必填"),
    ({"1": {"code": "Bad Code"}}, "代码只能用"),
])
def test_bad_items_are_refused(client, login, make, change, message):
    login("admin")
    questionnaire = make.questionnaire("nonfixed")
    before = [(item.code, item.weight, item.text) for item in questionnaire.items]
    response = _post(client, f"/admin/surveys/questionnaires/{questionnaire.id}", _item_rows(questionnaire, **change))
    assert response.status_code == 400 and message in response.data.decode()
    db.session.expire_all()
    assert [(i.code, i.weight, i.text) for i in db.session.get(Questionnaire, questionnaire.id).items] == before


def test_order_column_sorts_items(client, login, make):
    login("admin")
    questionnaire = make.questionnaire("nonfixed")
    data = _item_rows(questionnaire, **{"0": {"position": "99"}})
    assert _post(client, f"/admin/surveys/questionnaires/{questionnaire.id}", data).status_code == 302
    db.session.expire_all()
    codes = [item.code for item in db.session.get(Questionnaire, questionnaire.id).items]
    assert codes[-1] == "attitude" and len(codes) == 6


def test_create_questionnaire(client, login):
    login("admin")
    data = {"code": "fixed-2031", "group": "fixed", "title": "2031固定服务对象问卷",
            "items-0-position": "2", "items-0-code": "overall", "items-0-text": "总体评价",
            "items-0-dimension": "总体评价", "items-0-weight": "2",
            "items-1-position": "1", "items-1-code": "law", "items-1-text": "依法行政",
            "items-1-dimension": "依法行政", "items-1-weight": "1", "items-1-allow_unknown": "y",
            "items-2-code": "", "items-2-text": "", "items-2-dimension": "", "items-2-weight": ""}
    assert _post(client, "/admin/surveys/questionnaires/new", data).status_code == 302
    created = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.code == "fixed-2031"))
    assert (created.group, created.version) == ("fixed", 1)
    assert [(i.code, i.allow_unknown, i.weight) for i in created.items] == [("law", True, 1.0), ("overall", False, 2.0)]
    again = _post(client, "/admin/surveys/questionnaires/new", data)
    assert again.status_code == 409 and "已存在" in again.data.decode()


def test_new_questionnaire_needs_items_and_code(client, login):
    login("admin")
    empty = _post(client, "/admin/surveys/questionnaires/new", {"code": "empty", "group": "fixed", "title": "空"})
    assert empty.status_code == 400 and "至少需要一道题目" in empty.data.decode()
    nameless = _post(client, "/admin/surveys/questionnaires/new", {
        "code": "", "group": "fixed", "title": "无代码", "items-0-code": "a", "items-0-text": "甲",
        "items-0-dimension": "总体评价", "items-0-weight": "1"})
    assert nameless.status_code == 400 and "问卷代码" in nameless.data.decode()
    assert db.session.scalar(sa.select(Questionnaire).where(Questionnaire.title.in_(["空", "无代码"]))) is None


def test_edit_page_lists_items_and_blank_rows(client, login, make):
    login("admin")
    questionnaire = make.questionnaire("fixed")
    page = client.get(f"/admin/surveys/questionnaires/{questionnaire.id}").data.decode()
    rows = re.findall(r'name="items-(\d+)-code"', page)
    assert len(rows) == len(questionnaire.items) + 3
    assert 'value="openness"' in page


def test_new_version_leaves_closed_campaigns_on_the_version_they_ran_with(make):
    questionnaire = make.questionnaire("nonfixed", code="walkin4")
    running = _answer_once(make, questionnaire)
    closed = make.campaign(year=2020, opens_on=date(2020, 1, 1), closes_on=date(2020, 12, 31))
    closed.nonfixed_questionnaire_id = questionnaire.id
    db.session.flush()
    revised = ops.revise_questionnaire(questionnaire, [
        {"code": "only", "text": "唯一的题", "dimension": "总体评价", "weight": 1.0, "allow_unknown": False}])
    db.session.expire_all()
    assert db.session.get(Campaign, running.id).nonfixed_questionnaire_id == revised.id
    assert db.session.get(Campaign, closed.id).nonfixed_questionnaire_id == questionnaire.id


def test_dimension_suggestions_come_from_the_scheme(app, client, login, tmp_path):
    login("admin")
    page = client.get("/admin/surveys/questionnaires/new").data.decode()
    assert '<option value="公开透明">' in page
    regional = tmp_path / "regional.toml"
    text = read_scheme_file("default").text
    regional.write_text(text.replace('"廉洁自律", "公开透明"', '"廉洁自律", "营商环境"'), encoding="utf-8")
    app.config["SCHEME"] = str(regional)
    try:
        page = client.get("/admin/surveys/questionnaires/new").data.decode()
    finally:
        app.config["SCHEME"] = "default"
    assert '<option value="营商环境">' in page and '<option value="公开透明">' not in page
