"""The daily sweep (`flask --app wsgi cases sweep`, run by cron): overdue deductions,
warnings one working day ahead, the 7-day rating timeout, then delivery of the outbox.

Idempotent: deductions are unique per case and step, warnings carry a dedupe
key, and a closed case is not touched again. Tests pass `now`.
"""
import sqlalchemy as sa

from app.extensions import db
from app.models import utcnow
from app.scheme import current_scheme
from complaints import deductions, notify, operations, workflow
from complaints.deadlines import local_date
from complaints.holidays import work_calendar
from complaints.models import Case, Rating


def sweep(now=None):
    """Run every time-based rule once at `now` (naive UTC); returns counts per rule."""
    now = now or utcnow()
    today = local_date(now)
    calendar = work_calendar()
    warn_days = current_scheme()["cases"]["warn_days_before"]
    counts = {"deductions": 0, "warnings": 0, "office_overdue": 0, "closed": 0, "sent": 0}
    stmt = sa.select(Case).where(Case.status.in_(workflow.OPEN_STATUSES)).order_by(Case.id)
    for case in db.session.scalars(stmt).all():
        due = case.current_due_on
        if case.stage == "rating":
            if today > due:
                operations.rate(case, Rating.basic, note="7日内未评价,按基本满意办结", now=now, label="系统")
                counts["closed"] += 1
            continue
        if today > due:
            if deductions.check_overdue(case, now):
                counts["deductions"] += 1
            elif not deductions.unit_is_late(case, today) and _office_overdue(case, due):
                counts["office_overdue"] += 1
        elif calendar.working_days_between(today, due) <= warn_days and _warn(case, due):
            counts["warnings"] += 1
    db.session.flush()
    counts["sent"] = notify.deliver_pending(now=now)
    return counts


def _warn(case, due):
    """Warn whoever holds the step now: the unit while it must reply, else the office."""
    key = f"warn:{case.id}:{case.stage}:{due.isoformat()}"
    facts = {"stage": case.stage_label, "due": f"{due:%Y-%m-%d}"}
    if case.stage in deductions.UNIT_STAGES and case.assigned_unit_id:
        return notify.to_unit(case, case.assigned_unit_id, "warning", dedupe_key=key, **facts) is not None
    return notify.to_office(case, "warning", dedupe_key=key, **facts) is not None


def _office_overdue(case, due):
    key = f"overdue:{case.id}:{case.stage}:{due.isoformat()}"
    return notify.to_office(case, "office_overdue", dedupe_key=key, stage=case.stage_label,
                            due=f"{due:%Y-%m-%d}") is not None
