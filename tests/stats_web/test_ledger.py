"""The adjustment ledger: manual lines, caps from the scheme, revocation, the overdue-case feed."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import deductions as case_deductions
from complaints import operations as case_ops
from complaints.models import Deduction
from complaints.sweep import sweep
from stats.web.models import Adjustment
from stats.web.operations import (
    StatsError,
    add_adjustment,
    feed_overdue_deductions,
    revoke_adjustment,
)
from stats.web.runs import create_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR


def _total(run, code):
    return next(row for row in run.results["totals"] if row["unit_code"] == code)


def _post_line(client, unit, amount, reason="承办全省效能现场会", evidence="皖效办〔2024〕3号"):
    page = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    return client.post("/stats/adjustments", data={"csrf_token": csrf_from(page), "year": YEAR, "unit": unit.code,
                                                   "amount": amount, "reason": reason, "evidence": evidence})


def test_bonus_and_deduction_are_capped_separately(client, scored_units, staff):
    first, second, _ = scored_units
    for amount in ("30", "30", "-20"):
        assert _post_line(client, first, amount).status_code == 302
    for amount in ("-60", "-60"):
        assert _post_line(client, second, amount).status_code == 302
    run = create_run(YEAR, staff, "default")
    a, b = _total(run, "A01"), _total(run, "A02")
    assert (a["bonus"], a["deduction"], a["total"]) == (50, 20, pytest.approx(320 + 50 - 20))  # bonus cap 50
    assert (b["bonus"], b["deduction"], b["total"]) == (0, 100, pytest.approx(400 - 100))  # deduction cap 100
    html = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    assert 'class="num capped">50.00' in html and 'class="num capped">100.00' in html


def test_a_line_needs_reason_evidence_and_a_nonzero_amount(client, scored_units, staff):
    first = scored_units[0]
    assert _post_line(client, first, "0").status_code == 400
    missing = _post_line(client, first, "5", evidence="")
    assert missing.status_code == 400 and "请填写依据" in missing.data.decode()
    assert _post_line(client, first, "abc").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 0


def test_revoked_lines_stay_but_no_longer_count(client, scored_units, staff):
    first = scored_units[0]
    line = add_adjustment(first, YEAR, -10, "迟报材料", "通报", staff)
    page = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    url = f"/stats/adjustments/{line.id}/revoke"
    assert client.post(url, data={"csrf_token": csrf_from(page), "reason": ""}).status_code == 400
    assert client.post(url, data={"csrf_token": csrf_from(page), "reason": "复核后撤销"}).status_code == 302
    assert line.revoked_at is not None and line.revoked_by_id == staff.id
    assert _total(create_run(YEAR, staff, "default"), "A01")["deduction"] == 0
    with pytest.raises(StatsError):
        revoke_adjustment(line, staff, "again")


def _deduction(unit_code, number="20240301001", revoked=False, points=2.0):
    return {"unit_code": unit_code, "points": points, "case_number": number, "stage": "reply",
            "reason": f"投诉件{number}答复期限已过", "revoked": revoked, "revoke_reason": "情况属实" if revoked else ""}


def test_overdue_feed_is_idempotent_and_follows_revocation(scored_units, staff):
    assert feed_overdue_deductions(YEAR, [_deduction("A01")]) == {"added": 1, "revoked": 0}
    assert feed_overdue_deductions(YEAR, [_deduction("A01")]) == {"added": 0, "revoked": 0}
    line = db.session.scalars(sa.select(Adjustment)).one()
    assert (line.amount, line.origin, line.created_by_id) == (-2, "overdue_case", None)
    assert line.origin_ref == "20240301001/reply/A01"
    with pytest.raises(StatsError) as refused:
        revoke_adjustment(line, staff, "不认可")
    assert refused.value.status == 409
    assert feed_overdue_deductions(YEAR, [_deduction("A01", revoked=True)]) == {"added": 0, "revoked": 1}
    assert feed_overdue_deductions(YEAR, [_deduction("A01", revoked=True)]) == {"added": 0, "revoked": 0}
    assert line.revoked_at is not None and "情况属实" in line.revoke_reason
    assert feed_overdue_deductions(YEAR, [_deduction("A02", "20240301002", revoked=True)])["added"] == 0
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 1


def test_one_case_may_cost_two_units_the_same_stage(scored_units, staff):
    # after a transfer, complaints records a deduction per (case, stage, unit): both reach the ledger
    deductions = [_deduction("A01"), _deduction("A02")]
    assert feed_overdue_deductions(YEAR, deductions) == {"added": 2, "revoked": 0}
    assert feed_overdue_deductions(YEAR, deductions) == {"added": 0, "revoked": 0}
    lines = db.session.scalars(sa.select(Adjustment).order_by(Adjustment.origin_ref)).all()
    assert [(line.unit.code, line.origin_ref) for line in lines] == [
        ("A01", "20240301001/reply/A01"), ("A02", "20240301001/reply/A02")]
    run = create_run(YEAR, staff, "default")
    assert (_total(run, "A01")["deduction"], _total(run, "A02")["deduction"]) == (2, 2)


def _sync(client, year=YEAR):
    page = client.get(f"/stats/adjustments?year={year}").data.decode()
    token = csrf_from(page[page.index('id="overdue-sync"'):])
    return client.post("/stats/adjustments/sync", data={"csrf_token": token, "year": year})


def test_real_overdue_deductions_arrive_in_the_ledger_and_the_run(client, scored_units, staff, make):
    """A complaint assigned to 乙厅 and left unanswered past its deadline costs it 2 points."""
    unit = scored_units[1]
    handler = make.user("handler")
    filed = datetime(2024, 3, 4, 2, 0)
    case, _ = case_ops.create_case(kind="complaint", unit=unit, description="窗口态度差", name="张三",
                                   phone="13812345678", now=filed)
    case_ops.accept(case, handler, now=filed)
    case_ops.assign(case, handler, unit, now=filed)
    assert case.reply_due_on.year == YEAR  # a deduction belongs to the year of its deadline
    sweep(datetime(2024, 4, 10, 2, 0))
    html = client.get(f"/stats/adjustments?year={YEAR}").data.decode()  # looking writes nothing ...
    assert "待同步 新增 1 条、撤销 0 条" in html and case.number not in html
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 0
    response = _sync(client)  # ... the button does
    assert response.status_code == 302
    html = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    assert "已同步超期扣分：新增 1 条" in html and "投诉件超期扣分" in html and case.number in html
    assert "已全部同步" in html
    lines = db.session.scalars(sa.select(Adjustment)).all()
    assert [(line.unit_id, line.amount) for line in lines] == [(unit.id, -2)]
    assert _sync(client).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 1
    assert _total(create_run(YEAR, staff, "default"), "A02")["deduction"] == 2
    admin = make.user("admin")
    case_deductions.revoke(db.session.scalars(sa.select(Deduction)).one(), admin, "市民撤诉")
    run = create_run(YEAR, staff, "default")  # a run feeds too
    assert _total(run, "A02")["deduction"] == 0 and lines[0].revoked_at is not None


def test_viewing_the_ledger_only_counts_pending_deductions(client, scored_units, staff, monkeypatch):
    monkeypatch.setattr(case_deductions, "deductions_for_year", lambda year: [_deduction("A01")])
    html = client.get(f"/stats/adjustments?year={YEAR}").data.decode()
    assert "待同步 新增 1 条" in html and "同步超期扣分" in html
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 0
    assert client.post("/stats/adjustments/sync", data={"year": YEAR}).status_code == 400  # no CSRF token
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 0
    assert _sync(client).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 1
