"""超期扣分: a missed reply deadline costs the responsible unit points in that assessment year.

Only the reply steps (答复, 复查答复; for callbacks 整改) are the unit's: the
acceptance step belongs to the efficiency office, whose lateness is flagged to
the office instead. One deduction per case, step and unit (a unique constraint).
"""
import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.clock import chinese_date, utcnow
from app.registry.models import Unit
from app.kernel.scheme import current_scheme
from complaints import events, notify, workflow
from app.kernel.clock import local_date
from complaints.models import Case, Deduction

UNIT_STAGES = ("reply", "review")


class DeductionError(Refusal):
    """A revocation refused: no written reason, or already revoked."""


def unit_is_late(case, today):
    """The unit handling the case let its reply deadline pass without answering in time."""
    if case.stage not in UNIT_STAGES or case.assigned_unit_id is None or today <= case.reply_due_on:
        return False
    return case.unit_replied_at is None or local_date(case.unit_replied_at) > case.reply_due_on


def check_overdue(case, now=None):
    """Charge the unit handling the case if it is late; idempotent. Returns the new Deduction or None."""
    now = now or utcnow()
    if not unit_is_late(case, local_date(now)) or not workflow.allows("overdue", case.status):
        return None
    existing = db.session.scalar(sa.select(Deduction.id).where(
        Deduction.case_id == case.id, Deduction.stage == case.stage, Deduction.unit_id == case.assigned_unit_id))
    if existing is not None:
        return None
    points = current_scheme()["adjustments"]["overdue_case_deduction"]
    label = case.stage_label
    reason = f"{case.kind_label}件{case.number}{label}期限{chinese_date(case.reply_due_on)}已过，承办单位未按时答复"
    deduction = Deduction(unit_id=case.assigned_unit_id, year=case.reply_due_on.year, points=points,
                          case_id=case.id, stage=case.stage, due_on=case.reply_due_on, reason=reason,
                          created_at=now)
    db.session.add(deduction)
    events.record_fact(case, "overdue", note=f"{reason}，扣{points:g}分", now=now, label="系统")
    notify.to_unit(case, case.assigned_unit_id, "overdue", stage=label, due=chinese_date(case.reply_due_on),
                   points=f"{points:g}")
    db.session.flush()
    return deduction


def revoke(deduction, admin, reason, now=None):
    """Withdraw a deduction with a written reason; the row and the reason both stay."""
    reason = (reason or "").strip()
    if not reason:
        raise DeductionError("撤销扣分须填写书面理由。")
    if deduction.revoked_at is not None:
        raise DeductionError("该扣分已撤销。", 409)
    deduction.revoked_at, deduction.revoked_by_id, deduction.revoke_reason = now or utcnow(), admin.id, reason
    db.session.flush()
    audit.record("deduction.revoke", deduction, actor=admin, details={"year": deduction.year, "reason": reason,
                                                                      "amount": deduction.points})


def deductions_for_year(year):
    """Every deduction of an assessment year, revoked ones included, as plain dicts for the stats layer.

    Keys: unit_code, unit_id, points, case_number, stage, due_on, reason, revoked, revoke_reason.
    """
    stmt = (
        sa.select(Deduction, Unit.code, Case.number)
        .join(Unit, Unit.id == Deduction.unit_id).join(Case, Case.id == Deduction.case_id)
        .where(Deduction.year == year).order_by(Unit.code, Case.number, Deduction.stage)
    )
    return [
        {"unit_code": code, "unit_id": d.unit_id, "points": float(d.points), "case_number": number,
         "stage": d.stage, "due_on": d.due_on, "reason": d.reason, "revoked": d.revoked_at is not None,
         "revoke_reason": d.revoke_reason}
        for d, code, number in db.session.execute(stmt)
    ]
