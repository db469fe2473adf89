"""Survey admin: live response counts per unit and group, grouped by category, against the scheme's
targets ([survey] target_fixed, target_nonfixed), with the days left and a CSV of the units behind."""
import csv
import io
import re
from datetime import date

import pytest

from app.kernel.scheme import read_scheme_file
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
    assert {k: data["totals"][k] for k in ("fixed", "nonfixed", "total")} == {"fixed": 2, "nonfixed": 7, "total": 9}
    by_category = {block["category"]: block for block in data["categories"]}
    assert by_category[1]["name"] == "综合部门" and by_category[2]["name"] == "行政管理部门"
    assert {k: by_category[2]["totals"][k] for k in ("fixed", "nonfixed", "total")} == {"fixed": 0, "nonfixed": 4,
                                                                                        "total": 4}


def test_counts_for_another_campaign(client, login, responses):
    _campaign, old, _first, second, _idle = responses
    login("statistician")
    data = client.get(f"/admin/surveys/counts.json?campaign={old.id}").get_json()
    assert (data["totals"]["fixed"], data["totals"]["nonfixed"], data["totals"]["total"]) == (7, 0, 7)
    assert _units_in(data)[second.code]["fixed"] == 7
    assert client.get("/admin/surveys/counts.json?campaign=99999").status_code == 404


def test_counts_page(client, login, responses):
    campaign, _old, first, _second, _idle = responses
    login("statistician")
    page = client.get("/admin/surveys/counts").data.decode()
    assert campaign.name in page and first.name in page
    assert "第一类 综合部门" in page and "第二类 行政管理部门" in page
    assert "固定服务对象 2 份，非固定服务对象 7 份，共 9 份" in page
    assert "测评活动</a>" not in page, "a statistician is not offered the admin-only tabs"


def test_counts_without_a_campaign(client, login, make):
    make.unit()
    login("admin")
    data = client.get("/admin/surveys/counts.json").get_json()
    assert data["campaign"] is None and data["totals"]["total"] == 0
    assert "尚无测评活动" in client.get("/admin/surveys/counts").data.decode()


@pytest.fixture
def small_targets(app, tmp_path):
    """Targets of 3 fixed and 4 non-fixed responses a unit."""
    text = read_scheme_file("default").text
    path = tmp_path / "targets.toml"
    path.write_text(text.replace("target_fixed = 30", "target_fixed = 3").replace("target_nonfixed = 30",
                                                                                     "target_nonfixed = 4"),
                    encoding="utf-8")
    app.config["SCHEME"] = str(path)
    yield
    app.config["SCHEME"] = "default"


def test_progress_toward_the_targets_sorted_by_shortfall(client, login, responses, small_targets, monkeypatch):
    campaign, _old, first, second, idle = responses
    monkeypatch.setattr("surveys.progress_views.local_today", lambda: campaign.closes_on.replace(day=22, month=12))
    login("statistician")
    data = client.get("/admin/surveys/counts.json").get_json()
    assert data["targets"] == {"fixed": 3, "nonfixed": 4} and data["days_left"] == 10
    rows = _units_in(data)
    assert (rows[first.code]["short_fixed"], rows[first.code]["short_nonfixed"], rows[first.code]["shortfall"]) == (1, 1, 2)
    assert rows[second.code]["shortfall"] == 3 and rows[idle.code]["shortfall"] == 7
    category_two = next(block for block in data["categories"] if block["category"] == 2)
    assert [row["code"] for row in category_two["units"]] == [idle.code, second.code], "largest shortfall first"
    assert data["totals"]["behind"] == 3 and data["totals"]["shortfall"] == 12
    page = client.get("/admin/surveys/counts").data.decode()
    assert re.search(r'<progress class="short" max="3" value="2"', page)
    assert re.search(r'<progress class="short" max="4" value="3"', page)
    assert re.search(r'<progress class="met" max="4" value="4"', page)
    assert "距测评结束还有" in page and '<strong id="days-left">10</strong>' in page
    assert '<strong id="behind-count">3</strong> 个单位未达到目标' in page
    assert page.index(idle.name) < page.index(second.name)


def test_csv_of_units_behind_target(client, login, responses, small_targets, monkeypatch):
    campaign, _old, first, second, idle = responses
    monkeypatch.setattr("surveys.progress_views.local_today", lambda: campaign.closes_on.replace(day=22, month=12))
    for _ in range(4):  # 乙 reaches both targets and leaves the list
        ops.submit_response(campaign=campaign, unit=second, group="fixed", channel="paper",
                            levels={item.id: 4 for item in campaign.questionnaire_for("fixed").items})
    login("statistician")
    response = client.get("/admin/surveys/counts/behind.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row["单位代码"] for row in rows] == [idle.code, first.code], "only units behind, largest shortfall first"
    assert rows[0]["合计差额"] == "7" and rows[0]["剩余天数"] == "10" and rows[0]["每天还需"] == "1"
    assert rows[1]["固定服务对象答卷"] == "2" and rows[1]["固定服务对象差额"] == "1"


def test_days_left_before_and_after_the_campaign(client, login, responses, monkeypatch):
    campaign = responses[0]
    login("admin")
    monkeypatch.setattr("surveys.progress_views.local_today", lambda: campaign.closes_on.replace(year=campaign.closes_on.year + 1))
    assert client.get("/admin/surveys/counts.json").get_json()["days_left"] == 0
    assert "测评已结束" in client.get("/admin/surveys/counts").data.decode()
    monkeypatch.setattr("surveys.progress_views.local_today", lambda: campaign.opens_on.replace(year=campaign.opens_on.year - 1))
    assert client.get("/admin/surveys/counts.json").get_json()["days_left"] is None


@pytest.mark.parametrize("role", ["liaison", "handler"])
def test_the_csv_is_for_staff_only(client, login, role):
    login(role)
    assert client.get("/admin/surveys/counts/behind.csv").status_code == 403
