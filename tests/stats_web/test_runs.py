"""Score runs: computed from the database, frozen, published once, re-run with a diff."""
import hashlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import load_scheme, scheme_path
from stats.web.models import FrozenRunError, ScoreRun
from stats.web.operations import StatsError, import_parts
from stats.web.runs import create_run, diff_runs, publish_run, units_missing_parts
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
    assert set(run.input_hashes) == {"units", "responses", "parts", "adjustments", "reinstatements", "followup", "appeals"}
    assert len(run.scheme_sha256) == 64 and run.scheme_version == "1"
    assert run.results["dimensions"]["A02"]["服务态度"] == pytest.approx(1.0)
    again = create_run(YEAR, user, "default")
    assert again.input_hashes == run.input_hashes and again.results["totals"] == run.results["totals"]
    assert (again.sequence, again.previous_run_id) == (2, run.id)


def test_published_run_refuses_every_change(scored_units, make):
    user = make.user("statistician")
    run = create_run(YEAR, user, "default")
    publish_run(run, user, confirm_missing_parts=True, confirm_unranked=True)
    assert run.status == "published" and run.published_at is not None
    with pytest.raises(StatsError) as refused:
        publish_run(run, user, confirm_missing_parts=True, confirm_unranked=True)
    assert refused.value.status == 409
    run.results = {**run.results, "totals": []}  # any code path that writes to it is stopped at flush
    with pytest.raises(FrozenRunError):
        db.session.flush()
    db.session.rollback()


def test_published_run_cannot_be_deleted(scored_units, make):
    user = make.user("statistician")
    run = create_run(YEAR, user, "default")
    publish_run(run, user, confirm_missing_parts=True, confirm_unranked=True)
    db.session.delete(run)
    with pytest.raises(FrozenRunError):
        db.session.flush()
    db.session.rollback()


def test_a_draft_may_be_published_only_if_it_is_the_latest(scored_units, make):
    user = make.user("statistician")
    first = create_run(YEAR, user, "default")
    create_run(YEAR, user, "default")
    with pytest.raises(StatsError, match="最新"):
        publish_run(first, user, confirm_missing_parts=True, confirm_unranked=True)
    assert first.status == "draft"


def test_publishing_through_the_page_and_a_second_publish_is_refused(client, scored_units, staff):
    run = create_run(YEAR, staff, "default")
    page = client.get(f"/stats/runs/{run.id}").data.decode()
    confirmed = {"csrf_token": csrf_from(page), "confirm_missing_parts": "y", "confirm_unranked": "y"}
    response = client.post(f"/stats/runs/{run.id}/publish", data=confirmed)
    assert response.status_code == 302
    assert db.session.get(ScoreRun, run.id).status == "published"
    stamp = db.session.get(ScoreRun, run.id).published_at
    again = client.post(f"/stats/runs/{run.id}/publish", data=confirmed)
    assert again.status_code == 409
    assert db.session.get(ScoreRun, run.id).published_at == stamp
    assert "发布本次计分结果" not in client.get(f"/stats/runs/{run.id}").data.decode()


def test_rerun_after_an_appeal_is_a_new_run_with_a_diff(client, scored_units, staff):
    second_unit = scored_units[1]
    page = client.get("/stats/").data.decode()
    response = client.post("/stats/runs", data={"csrf_token": csrf_from(page), "year": YEAR, "note": ""})
    assert response.status_code == 302
    first = db.session.scalars(sa.select(ScoreRun)).one()
    publish_run(first, staff, confirm_missing_parts=True, confirm_unranked=True)
    # The appeal: 乙厅 loses 100 points in the ledger, which puts 甲厅 first.
    ledger = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    response = client.post("/stats/adjustments", data={
        "csrf_token": csrf_from(ledger), "year": YEAR, "unit": second_unit.code, "amount": "-100",
        "reason": "申诉复核：虚报材料", "evidence": "效能办〔2024〕12号"})
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


def test_publishing_with_missing_parts_needs_an_explicit_confirmation(client, scored_units, staff):
    run = create_run(YEAR, staff, "default")  # no part imported: both ranked units count them as 0
    page = client.get(f"/stats/runs/{run.id}").data.decode()
    assert "有 2 个参加排名的单位缺少考核项目分值" in page and "确认缺项按0分发布" in page
    refused = client.post(f"/stats/runs/{run.id}/publish", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 409
    html = refused.data.decode()
    assert "有 2 个参加排名的单位缺少考核项目分值，按 0 分计入总分" in html and "甲厅" in html and "乙厅" in html
    assert db.session.get(ScoreRun, run.id).status == "draft"
    confirmed = client.post(f"/stats/runs/{run.id}/publish",
                            data={"csrf_token": csrf_from(page), "confirm_missing_parts": "y", "confirm_unranked": "y"})
    assert confirmed.status_code == 302 and db.session.get(ScoreRun, run.id).status == "published"


def test_a_complete_run_publishes_without_the_confirmation(scored_units, staff):
    rows = "".join(f"{code},{part},{points}\n" for code in ("A01", "A02")
                   for part, points in (("core_duties", 280), ("power_regulation", 190), ("efficiency_work", 90)))
    import_parts("unit_code,part,points\n" + rows, "parts.csv", YEAR, staff, load_scheme("default"))
    run = create_run(YEAR, staff, "default")
    assert units_missing_parts(run) == []  # 丙局 lacks them too, but has no data and no rank
    publish_run(run, staff, confirm_unranked=True)  # 丙局 has no data
    assert run.is_published


@pytest.mark.parametrize("statement", [
    lambda run: db.session.execute(sa.update(ScoreRun).where(ScoreRun.id == run.id).values(note="改动")),
    lambda run: db.session.query(ScoreRun).filter_by(id=run.id).update({"results": {}}),
    lambda run: db.session.execute(sa.delete(ScoreRun).where(ScoreRun.id == run.id)),
    lambda run: db.session.execute(sa.text("UPDATE stats_score_runs SET status = 'draft'")),
], ids=["update()", "Query.update()", "delete()", "raw SQL"])
def test_the_database_refuses_bulk_changes_to_a_published_run(scored_units, staff, statement):
    run = create_run(YEAR, staff, "default", note="原说明")
    publish_run(run, staff, confirm_missing_parts=True, confirm_unranked=True)
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            statement(run)
    stored = db.session.execute(sa.select(ScoreRun.note, ScoreRun.status, sa.func.count())
                                .where(ScoreRun.id == run.id).group_by(ScoreRun.id)).one()
    assert tuple(stored) == ("原说明", "published", 1)


def test_a_draft_run_may_still_be_changed_in_bulk(scored_units, staff):
    run = create_run(YEAR, staff, "default")
    db.session.execute(sa.update(ScoreRun).where(ScoreRun.id == run.id).values(note="草稿可改"))
    assert db.session.scalar(sa.select(ScoreRun.note).where(ScoreRun.id == run.id)) == "草稿可改"


def test_each_run_uses_hashes_and_keeps_the_scheme_file_as_it_is_then(scored_units, staff, tmp_path):
    path = tmp_path / "pilot.toml"
    text = Path(scheme_path("default")).read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = create_run(YEAR, staff, str(path))
    assert first.scheme_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.results["scheme_text"] == text
    stamp = path.stat().st_mtime_ns
    # Same length, same modification time: an edit a cache keyed on mtime would miss.
    edited = text.replace("5 = 1.0, 4 = 0.8, 3 = 0.6", "5 = 1.0, 4 = 0.7, 3 = 0.6")  # 满意 worth 0.7
    assert len(edited) == len(text) and edited != text
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    second = create_run(YEAR, staff, str(path))
    assert second.scheme_sha256 == hashlib.sha256(edited.encode()).hexdigest() != first.scheme_sha256
    assert second.results["scheme_text"] == edited
    # 甲厅's non-fixed 满意 response: 0.6·0.8 + 0.4·0.8 before, 0.6·0.8 + 0.4·0.7 after
    assert (_survey(first)["A01"]["points"], _survey(second)["A01"]["points"]) == pytest.approx((320, 304))
    assert "scheme" in diff_runs(first, second)["inputs_changed"]


def test_load_scheme_hands_each_caller_its_own_copy():
    scheme = load_scheme("default")
    scheme["survey"]["group_weights"]["fixed"] = 0.0
    scheme["categories"].clear()
    again = load_scheme("default")
    assert again["survey"]["group_weights"]["fixed"] == 0.6 and again["categories"]
