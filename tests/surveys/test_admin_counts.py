"""Survey admin: live response counts per unit and group, grouped by category."""
from datetime import date

import pytest

from surveys import operations as ops


def _respond(campaign, unit, group, n):
    questionnaire = campaign.questionnaire_for(group)
    for _ in range(n):
        ops.submit_response(campaign=campaign, unit=unit, group=group, channel="paper",
                            levels={item.id: 4 for item in questionnaire.items})


@pytest.fixture
def responses(make):
    """A current campaign with responses in two categories, and an older one that must not count."""
    old = make.campaign(year=2001, opens_on=date(2001, 1, 1), closes_on=date(2001, 12, 31))
    campaign = make.campaign()
    first, second, idle = make.unit(category=1), make.unit(category=2), make.unit(category=2)
    _respond(campaign, first, "fixed", 2)
    _respond(campaign, first, "nonfixed", 3)
    _respond(campaign, second, "nonfixed", 4)
    _respond(old, second, "fixed", 7)
    return campaign, old, first, second, idle


@pytest.mark.parametrize("url", ["/admin/surveys/counts", "/admin/surveys/counts.json"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["liaison", "handler"])
@pytest.mark.parametrize("url", ["/admin/surveys/counts", "/admin/surveys/counts.json"])
def test_liaison_and_handler_are_refused(client, login, role, url):
    login(role)
    assert client.get(url).status_code == 403


def _units_in(data):
    return {row["code"]: row for block in data["categories"] for row in block["units"]}


@pytest.mark.parametrize("role", ["admin", "statistician"])
def test_counts_json(client, login, responses, role):
    campaign, _old, first, second, idle = responses
    login(role)
    data = client.get("/admin/surveys/counts.json").get_json()
    assert data["campaign"]["id"] == campaign.id and data["campaign"]["year"] == campaign.year
    rows = _units_in(data)
    assert {k: rows[first.code][k] for k in ("fixed", "nonfixed", "total")} == {"fixed": 2, "nonfixed": 3, "total": 5}
    assert (rows[second.code]["fixed"], rows[second.code]["nonfixed"]) == (0, 4)
    assert rows[idle.code]["total"] == 0, "units without responses are listed too"
    assert data["totals"] == {"fixed": 2, "nonfixed": 7, "total": 9}
    by_category = {block["category"]: block for block in data["categories"]}
    assert by_category[1]["name"] == "综合部门" and by_category[2]["name"] == "行政管理部门"
    assert by_category[2]["totals"] == {"fixed": 0, "nonfixed": 4, "total": 4}


def test_counts_for_another_campaign(client, login, responses):
    _campaign, old, _first, second, _idle = responses
    login("statistician")
    data = client.get(f"/admin/surveys/counts.json?campaign={old.id}").get_json()
    assert data["totals"] == {"fixed": 7, "nonfixed": 0, "total": 7}
    assert _units_in(data)[second.code]["fixed"] == 7
    assert client.get("/admin/surveys/counts.json?campaign=99999").status_code == 404


def test_counts_page(client, login, responses):
    campaign, _old, first, _second, _idle = responses
    login("statistician")
    page = client.get("/admin/surveys/counts").data.decode()
    assert campaign.name in page and first.name in page
    assert "第1类 综合部门" in page and "第2类 行政管理部门" in page
    assert "固定服务对象 2 份，非固定服务对象 7 份，共 9 份" in page
    assert "测评活动</a>" not in page, "a statistician is not offered the admin-only tabs"


def test_counts_without_a_campaign(client, login, make):
    make.unit()
    login("admin")
    data = client.get("/admin/surveys/counts.json").get_json()
    assert data["campaign"] is None and data["totals"]["total"] == 0
    assert "尚无测评活动" in client.get("/admin/surveys/counts").data.decode()
