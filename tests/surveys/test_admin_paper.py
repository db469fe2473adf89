"""Survey admin: keying in paper questionnaires."""
import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys.models import Response
from tests.conftest import csrf_from


@pytest.fixture
def setup(make):
    campaign = make.campaign()
    unit = make.unit(name="省纸质厅")
    window = make.window(unit=unit, name="综合窗口")
    return campaign, unit, window


def _url(unit, window=None, group="nonfixed"):
    query = {"unit": unit.code, **({"window": window.code} if window else {}), "group": group}
    return "/admin/surveys/paper?" + urlencode(query)


def _sheet(client, url, level="4", **extra):
    page = client.get(url).data.decode()
    items = re.findall(r'name="(item_\d+)"', page)
    return {"csrf_token": csrf_from(page), **{name: level for name in items}, **extra}


def _count():
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/surveys/paper")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["liaison", "handler"])
def test_liaison_and_handler_are_refused(client, login, setup, role):
    login(role)
    _campaign, unit, _window = setup
    assert client.get("/admin/surveys/paper").status_code == 403
    assert client.get(_url(unit)).status_code == 403


def test_target_page_lists_units_and_windows(client, login, setup):
    _campaign, unit, window = setup
    login("statistician")
    page = client.get("/admin/surveys/paper").data.decode()
    assert f'value="{unit.code}"' in page and f'value="{window.code}"' in page and "固定服务对象" in page


@pytest.mark.parametrize("role", ["statistician", "admin"])
def test_entry_stores_a_paper_response_and_returns_for_the_next(client, login, setup, role):
    campaign, unit, window = setup
    user = login(role)
    url = _url(unit, window)
    page = client.get(url).data.decode()
    assert "省纸质厅" in page and "综合窗口" in page and "已录入 <strong>0</strong> 份" in page
    response = client.post(url, data=_sheet(client, url, comment="手写：等候时间长"))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.channel, stored.group, stored.entered_by_id) == ("paper", "nonfixed", user.id)
    assert (stored.unit_id, stored.window_id, stored.campaign_id) == (unit.id, window.id, campaign.id)
    assert stored.questionnaire_id == campaign.nonfixed_questionnaire_id
    assert stored.comment == "手写：等候时间长" and {a.level for a in stored.answers} == {4}
    next_page = client.get(url).data.decode()
    assert "已录入 <strong>1</strong> 份" in next_page and "本次登录共录入 1 份" in next_page
    client.post(url, data=_sheet(client, url, level="2"))
    assert "已录入 <strong>2</strong> 份" in client.get(url).data.decode()
    assert _count() == 2


def test_fixed_group_uses_the_fixed_questionnaire_without_window(client, login, setup):
    campaign, unit, _window = setup
    login("statistician")
    url = _url(unit, group="fixed")
    data = _sheet(client, url, level="5")
    assert len([k for k in data if k.startswith("item_")]) == len(campaign.fixed_questionnaire.items)
    assert client.post(url, data=data).status_code == 302
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.group, stored.window_id, stored.client_hash) == ("fixed", None, None)
    assert stored.questionnaire_id == campaign.fixed_questionnaire_id


def test_unknown_is_stored_as_null_where_allowed(client, login, setup):
    campaign, unit, _window = setup
    login("statistician")
    url = _url(unit)
    optional = [f"item_{item.id}" for item in campaign.nonfixed_questionnaire.items if item.allow_unknown]
    data = _sheet(client, url, level="5", **{name: "0" for name in optional})
    assert client.post(url, data=data).status_code == 302
    levels = db.session.scalars(sa.select(Response)).one().answers
    assert sorted(a.level or 0 for a in levels) == [0, 0, 0, 0, 0, 5]  # 不了解 on all but the overall item


@pytest.mark.parametrize("change, message", [
    ("missing", "请填写1至5"),
    ("nine", "请填写1至5"),
    ("unknown_not_allowed", "请填写1至5"),
    ("letters", "请填写1至5"),
    ("long_comment", "意见和建议不能超过"),
])
def test_bad_sheet_is_refused_and_nothing_stored(client, login, setup, change, message):
    campaign, unit, _window = setup
    login("statistician")
    url = _url(unit)
    data = _sheet(client, url)
    required = next(f"item_{i.id}" for i in campaign.nonfixed_questionnaire.items if not i.allow_unknown)
    if change == "missing":
        del data[required]
    elif change == "long_comment":
        data["comment"] = "长" * 5000
    else:
        data[required] = {"nine": "9", "unknown_not_allowed": "0", "letters": "五"}[change]
    response = client.post(url, data=data)
    assert response.status_code == 400 and message in response.data.decode()
    assert "本份问卷尚未保存" in response.data.decode()
    assert _count() == 0


@pytest.mark.parametrize("query, message", [
    ({"unit": "NOPE", "group": "nonfixed"}, "请选择有效的被考核单位"),
    ({"group": "nonfixed", "window": "OTHER"}, "所选服务窗口不属于该单位"),
    ({"group": "guests"}, "请选择服务对象类别"),
])
def test_bad_target_is_refused(client, login, setup, make, query, message):
    _campaign, unit, _window = setup
    make.window(code="OTHER")
    login("statistician")
    url = "/admin/surveys/paper?" + urlencode({"unit": unit.code, **query})
    page = client.get(url)
    assert page.status_code == 400 and message in page.data.decode()
    token = csrf_from(client.get(_url(unit)).data)
    assert client.post(url, data={"csrf_token": token, "item_1": "5"}).status_code == 400
    assert _count() == 0


def test_post_without_csrf_stores_nothing(client, login, setup):
    _campaign, unit, _window = setup
    login("statistician")
    url = _url(unit)
    data = _sheet(client, url)
    del data["csrf_token"]
    assert client.post(url, data=data).status_code == 400
    assert _count() == 0


def test_inactive_unit_is_refused(client, login, setup):
    _campaign, unit, _window = setup
    unit.active = False
    db.session.flush()
    login("statistician")
    assert client.get(_url(unit)).status_code == 400


def test_without_campaign_entry_is_refused(client, login, make):
    unit = make.unit()
    login("statistician")
    page = client.get("/admin/surveys/paper")
    assert page.status_code == 409 and "尚未设置测评活动" in page.data.decode()
    assert client.get(_url(unit)).status_code == 409
