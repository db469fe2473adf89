"""The screening review queue: excluded responses with reasons, and reinstatement with a note."""
from datetime import timedelta

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.audit.models import AuditEntry
from app.kernel.extensions import db
from stats.web.models import Reinstatement, ScoreRun
from stats.web.operations import StatsError, reinstate
from stats.web.runs import create_run, diff_runs
from surveys.models import Response
from tests.conftest import csrf_from
from tests.stats_web.conftest import NOON, YEAR


@pytest.fixture
def repeat(make, respond):
    """甲厅: one fixed 1.0; non-fixed 1.0, then the same client an hour later at 0.0 (excluded)."""
    unit = make.unit(name="甲厅", code="A01")
    window = make.window(unit, name="综合窗口")
    respond(unit, "fixed", level=5)
    respond(unit, "nonfixed", level=5, client="c1", window=window)
    second = respond(unit, "nonfixed", level=1, client="c1", window=window, at=NOON + timedelta(hours=1))
    return unit, second


def test_queue_lists_each_excluded_response_with_its_reason(client, repeat, staff):
    _, second = repeat
    create_run(YEAR, staff, "default")
    html = client.get(f"/stats/screening?year={YEAR}").data.decode()
    assert second.public_id[:10] in html and "同一终端短时间内重复提交" in html and "综合窗口" in html
    assert "恢复计分" in html
    assert "没有被剔除" in client.get(f"/stats/screening?year={YEAR}&reason=speeder").data.decode()


def test_reinstatement_is_recorded_and_changes_the_next_run(client, repeat, staff):
    _, second = repeat
    first = create_run(YEAR, staff, "default")
    assert first.results["units"][0]["points"] == pytest.approx(400)
    page = client.get(f"/stats/screening?year={YEAR}").data.decode()
    response = client.post(f"/stats/screening/{second.public_id}/reinstate",
                           data={"csrf_token": csrf_from(page), "year": YEAR, "note": "核实为两位不同市民共用手机"})
    assert response.status_code == 302
    record = db.session.scalars(sa.select(Reinstatement)).one()
    assert (record.response_id, record.reason, record.created_by_id) == (second.id, "repeat_client", staff.id)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "response.reinstate")).one()
    assert (entry.username, entry.object_id) == (staff.username, str(record.id))
    assert "核实为两位不同市民共用手机" in client.get(f"/stats/screening?year={YEAR}").data.decode()
    rerun = create_run(YEAR, staff, "default")
    # non-fixed is now (1.0 + 0.0) / 2: index 0.6 × 1.0 + 0.4 × 0.5 = 0.8
    assert rerun.results["units"][0]["points"] == pytest.approx(320)
    assert rerun.results["reinstated"] == [second.public_id]
    diff = diff_runs(first, rerun)
    assert diff["now_counted"] == [(second.public_id, "repeat_client")]
    assert "reinstatements" in diff["inputs_changed"] and "responses" not in diff["inputs_changed"]


def test_reinstating_twice_or_without_a_note_is_refused(client, repeat, staff):
    _, second = repeat
    run = create_run(YEAR, staff, "default")
    page = client.get(f"/stats/screening?year={YEAR}").data.decode()
    url = f"/stats/screening/{second.public_id}/reinstate"
    assert client.post(url, data={"csrf_token": csrf_from(page), "year": YEAR, "note": " "}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Reinstatement.id))) == 0
    reinstate(second.public_id, "复核", staff, run)
    with pytest.raises(StatsError) as refused:
        reinstate(second.public_id, "再次", staff, run)
    assert refused.value.status == 409


def test_only_responses_the_latest_run_excluded_can_be_reinstated(repeat, respond, staff):
    unit, _ = repeat
    empty = respond(unit, "nonfixed", level=None, client="c9")
    run = create_run(YEAR, staff, "default")
    with pytest.raises(StatsError, match="不能恢复"):
        reinstate(empty.public_id, "说明", staff, run)
    counted = db.session.scalar(sa.select(ScoreRun)).results["excluded"]
    assert {e["reason"] for e in counted} == {"repeat_client", "empty"}
    excluded_ids = {e["response_id"] for e in counted}
    valid_id = next(r.public_id for r in db.session.scalars(sa.select(Response).where(Response.unit_id == unit.id))
                    if r.public_id not in excluded_ids)
    with pytest.raises(StatsError, match="没有被剔除"):
        reinstate(valid_id, "说明", staff, run)
    with pytest.raises(StatsError) as missing:
        reinstate("nope", "说明", staff, run)
    assert missing.value.status == 404


def test_straightlining_is_counted_on_the_unit_page_and_listed_in_the_queue(client, make, respond, staff):
    unit = make.unit(name="甲厅", code="A01")
    straight = [respond(unit, "fixed", level=5), respond(unit, "nonfixed", level=4)]
    varied = respond(unit, "nonfixed", level=5, levels={"overall": 3})
    run = create_run(YEAR, staff, "default")
    assert sorted(run.results["straightline_by_unit"]["A01"]) == sorted(r.public_id for r in straight)
    page = client.get(f"/stats/runs/{run.id}/units/A01").data.decode()
    assert "直线作答（各题同一等级，仍计分）的答卷 2 份" in page
    queue = client.get(f"/stats/screening?year={YEAR}").data.decode()
    assert "直线作答（各题同一等级，仍计分）的答卷 2 份" in queue and "reason=straightline" in queue
    listed = client.get(f"/stats/screening?year={YEAR}&reason=straightline&unit=A01").data.decode()
    assert all(r.public_id[:10] in listed for r in straight) and varied.public_id[:10] not in listed
    assert "仍计分" in listed and "固定服务对象" in listed and "恢复计分</button>" not in listed
    assert "没有直线作答的答卷" in client.get(f"/stats/screening?year={YEAR}&reason=straightline&unit=B9").data.decode()


@pytest.fixture
def stuffed(make, respond):
    """甲厅's old window: two walk-ins an hour for five hours. Its new window, without history: 30 posts at
    20:00 (14 of them from one address hash); then 16 posts at 21:00 from another address hash, spread
    over both windows with a new browser string each time."""
    unit = make.unit(name="甲厅", code="A01")
    old, new = make.window(unit, name="老窗口"), make.window(unit, name="新窗口")
    for hour in range(5):
        for minute in (5, 35):
            respond(unit, window=old, client=f"o{hour}{minute}", address=f"a{hour}{minute}",
                    at=NOON + timedelta(hours=hour, minutes=minute))
    burst = [respond(unit, window=new, client=f"b{i}", address="shared" if i < 14 else f"b{i}",
                     at=NOON + timedelta(hours=8, seconds=i)) for i in range(30)]
    script = [respond(unit, window=(old, new)[i % 2], client=f"s{i}", address="script",
                      at=NOON + timedelta(hours=9, seconds=i)) for i in range(16)]
    return script, burst


def test_the_review_lists_each_held_responses_evidence(client, stuffed, staff):
    script, burst = stuffed
    run = create_run(YEAR, staff, "default")
    reasons = {e["response_id"]: e for e in run.results["excluded"]}
    assert {reasons[r.public_id]["reason"] for r in script} == {"address_burst"}
    assert {reasons[r.public_id]["reason"] for r in burst} == {"burst"}, "the new window measured by the old"
    assert reasons[burst[0].public_id]["evidence"]["baseline"] == "unit"
    html = client.get(f"/stats/screening?year={YEAR}").data.decode()
    assert "同一网络地址短时间内大量提交" in html
    assert "2024年3月1日21时：同一网络地址向本单位提交16份，上限15份" in html
    assert ("2024年3月1日20时：本窗口该小时30份，预期约2份（本单位其他窗口各小时的中位数），偶然出现的概率不足万分之一；"
            "其中同一网络地址14份") in html
    book = load_workbook(io.BytesIO(client.get(f"/stats/runs/{run.id}/export.xlsx").data))
    sheet = book["无效问卷"]
    assert [cell.value for cell in sheet[1]][-1] == "依据" and sheet.max_row == 47
    assert any("上限15份" in (row[-1] or "") for row in sheet.iter_rows(min_row=2, values_only=True))


def test_a_reinstatement_needs_a_reason_and_names_who_gave_it(client, stuffed, staff):
    script, _ = stuffed
    create_run(YEAR, staff, "default")
    page = client.get(f"/stats/screening?year={YEAR}").data.decode()
    url = f"/stats/screening/{script[0].public_id}/reinstate"
    refused = client.post(url, data={"csrf_token": csrf_from(page), "year": YEAR, "note": "  "})
    assert refused.status_code in (303, 400) and db.session.scalar(sa.select(sa.func.count(Reinstatement.id))) == 0
    done = client.post(url, data={"csrf_token": csrf_from(page), "year": YEAR, "note": "经核实为单位集中培训现场评价"})
    assert done.status_code == 302
    line = db.session.scalar(sa.select(Reinstatement))
    assert line.reason == "address_burst" and line.created_by_id == staff.id
    html = client.get(f"/stats/screening?year={YEAR}").data.decode()
    assert f"已恢复（{staff.username}）：经核实为单位集中培训现场评价" in html
