"""Score runs: computed from the database, frozen, published once, re-run with a diff."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from stats.web.models import FrozenRunError, ScoreRun
from stats.web.operations import StatsError
from stats.web.runs import create_run, diff_runs, publish_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR


def _totals(run):
    return {row["unit_code"]: row for row in run.results["totals"]}


def _survey(run):
    return {row["unit_code"]: row for row in run.results["units"]}


def test_run_scores_the_campaign_and_freezes_its_inputs(scored_units, make):
    user = make.user("statistician")
    run = create_run(YEAR, user, "default")
    survey, totals = _survey(run), _totals(run)
    assert survey["A01"]["index_fixed"] == pytest.approx(0.8)
    assert survey["A01"]["points"] == pytest.approx(320)
    assert survey["A02"]["points"] == pytest.approx(400)
    assert (totals["A02"]["rank"], totals["A01"]["rank"], totals["B01"]["rank"]) == (1, 2, None)
    assert totals["B01"]["flags"][0] == "no_data"
    assert run.sequence == 1 and run.status == "draft" and run.previous_run_id is None
    assert set(run.input_hashes) == {"units", "responses", "parts", "adjustments", "reinstatements"}
    assert len(run.scheme_sha256) == 64 and run.scheme_version == "1"
    assert run.results["dimensions"]["A02"]["服务态度"] == pytest.approx(1.0)
    again = create_run(YEAR, user, "default")
    assert again.input_hashes == run.input_hashes and again.results["totals"] == run.results["totals"]
    assert (again.sequence, again.previous_run_id) == (2, run.id)


def test_published_run_refuses_every_change(scored_units, make):
    user = make.user("statistician")
    run = create_run(YEAR, user, "default")
    publish_run(run, user)
    assert run.status == "published" and run.published_at is not None
    with pytest.raises(StatsError) as refused:
        publish_run(run, user)
    assert refused.value.status == 409
    run.results = {**run.results, "totals": []}  # any code path that writes to it is stopped at flush
    with pytest.raises(FrozenRunError):
        db.session.flush()
    db.session.rollback()


def test_published_run_cannot_be_deleted(scored_units, make):
    user = make.user("statistician")
    run = create_run(YEAR, user, "default")
    publish_run(run, user)
    db.session.delete(run)
    with pytest.raises(FrozenRunError):
        db.session.flush()
    db.session.rollback()


def test_a_draft_may_be_published_only_if_it_is_the_latest(scored_units, make):
    user = make.user("statistician")
    first = create_run(YEAR, user, "default")
    create_run(YEAR, user, "default")
    with pytest.raises(StatsError, match="最新"):
        publish_run(first, user)
    assert first.status == "draft"


def test_publishing_through_the_page_and_a_second_publish_is_refused(client, scored_units, staff):
    run = create_run(YEAR, staff, "default")
    page = client.get(f"/stats/runs/{run.id}").data.decode()
    response = client.post(f"/stats/runs/{run.id}/publish", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert db.session.get(ScoreRun, run.id).status == "published"
    stamp = db.session.get(ScoreRun, run.id).published_at
    again = client.post(f"/stats/runs/{run.id}/publish", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 409
    assert db.session.get(ScoreRun, run.id).published_at == stamp
    assert "发布本次计分结果" not in client.get(f"/stats/runs/{run.id}").data.decode()


def test_rerun_after_an_appeal_is_a_new_run_with_a_diff(client, scored_units, staff):
    second_unit = scored_units[1]
    page = client.get("/stats/").data.decode()
    response = client.post("/stats/runs", data={"csrf_token": csrf_from(page), "year": YEAR, "note": ""})
    assert response.status_code == 302
    first = db.session.scalars(sa.select(ScoreRun)).one()
    publish_run(first, staff)
    # The appeal: 乙厅 loses 100 points in the ledger, which puts 甲厅 first.
    ledger = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    response = client.post("/stats/adjustments", data={
        "csrf_token": csrf_from(ledger), "year": YEAR, "unit": second_unit.code, "amount": "-100",
        "reason": "申诉复核:虚报材料", "evidence": "效能办〔2024〕12号"})
    assert response.status_code == 302
    response = client.post("/stats/runs", data={"csrf_token": csrf_from(page), "year": YEAR,
                                                 "note": "申诉复核后重新计分"})
    second = db.session.scalars(sa.select(ScoreRun).where(ScoreRun.sequence == 2)).one()
    assert response.headers["Location"].endswith(f"/stats/runs/{second.id}")
    assert second.previous_run_id == first.id and first.status == "published"
    assert _totals(first)["A02"]["total"] == pytest.approx(400)  # the published run kept its numbers
    diff = diff_runs(first, second)
    changed = {u["unit_code"]: u for u in diff["units"]}
    assert set(changed) == {"A01", "A02"}
    assert changed["A01"]["rank"] == (2, 1) and changed["A02"]["rank"] == (1, 2)
    assert changed["A02"]["total"] == pytest.approx((400, 300)) and changed["A02"]["deduction"] == (0, 100)
    assert diff["inputs_changed"] == ["adjustments"]
    html = client.get(f"/stats/runs/{second.id}/diff").data.decode()
    assert "甲厅" in html and "2 → 1" in html and "400.00 → 300.00" in html and "加减分台账" in html


def test_run_without_a_campaign_is_refused_with_a_message(client, staff, make):
    make.unit(name="孤单位", code="Z01")
    page = client.get("/stats/?year=2031").data.decode()
    response = client.post("/stats/runs", data={"csrf_token": csrf_from(page), "year": 2031, "note": ""})
    assert response.status_code == 400
    assert "没有2031年度的测评活动" in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(ScoreRun.id))) == 0


def test_run_page_shows_category_tables_and_interval_chart(client, scored_units, staff):
    run = create_run(YEAR, staff, "default")
    html = client.get(f"/stats/runs/{run.id}").data.decode()
    assert "第1类 综合部门" in html and "第2类 行政管理部门" in html
    assert html.index("乙厅") < html.index("甲厅")  # rank order
    assert "<svg" in html and "无有效答卷" in html
    unit = client.get(f"/stats/runs/{run.id}/units/A01").data.decode()
    assert "甲厅" in unit and unit.count("<svg") == 3 and "320.00" in unit and "办事效率" in unit
    assert client.get(f"/stats/runs/{run.id}/units/NOPE").status_code == 404
