"""The sweep (`flask --app wsgi cases sweep`, run hourly by cron): deadlines recounted on a calendar
that now knows their years, overdue deductions, reminders one working day ahead, the 7-day rating
timeout, callback cases opened from the pending requests of bad survey ratings, then delivery of the
outbox.

Idempotent: deductions are unique per case, step and unit, reminders carry a
dedupe key, and a closed case is not touched again. Each case runs in its own
savepoint: a case that a citizen or handler changed meanwhile (CaseConflict) is
left for the next run and counted, the others go on. Tests pass `now`.
"""
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.clock import chinese_date, utcnow
from app.kernel.scheme import current_scheme
from complaints import deductions, holidays, notify, operations, workflow
from app.kernel.clock import local_date
from complaints.models import Case, Rating


def sweep(now=None):
    """Run every time-based rule once at `now` (naive UTC); returns counts per rule."""
    now = now or utcnow()
    today = local_date(now)
    calendar = holidays.work_calendar()
    days_before = current_scheme()["cases"]["reminder_days_before"]
    counts = {"recomputed": holidays.recompute_known_years(calendar, now), "deductions": 0, "reminders": 0,
              "office_overdue": 0, "closed": 0, "conflicts": 0}
    stmt = sa.select(Case).where(Case.status.in_(workflow.OPEN_STATUSES)).order_by(Case.id)
    for case in db.session.scalars(stmt).all():
        try:
            with db.session.begin_nested():
                outcome = _sweep_case(case, today, now, calendar, days_before)
        except operations.CaseConflict:
            counts["conflicts"] += 1
            continue
        if outcome:
            counts[outcome] += 1
    db.session.flush()
    # After the case loop: a new callback case is due tomorrow, its reminder belongs to the next run.
    counts["callbacks"] = operations.open_pending_callbacks(now)
    counts.update(notify.deliver_pending(now=now))
    return counts


def _sweep_case(case, today, now, calendar, days_before):
    """Apply the rule due for one case; returns the name of the count it adds to, or None."""
    due = case.current_due_on
    if case.stage == "rating":
        if today <= due:
            return None
        operations.rate(case, Rating.basic, note="7日内未评价，按基本满意办结", now=now, label="系统")
        return "closed"
    if today > due:
        if deductions.check_overdue(case, now):
            return "deductions"
        if not deductions.unit_is_late(case, today) and _office_overdue(case, due):
            return "office_overdue"
        return None
    if calendar.working_days_between(today, due) <= days_before and _remind(case, due):
        return "reminders"
    return None


def _remind(case, due):
    """Remind whoever holds the step now, and the office (its handlers) in any case; each once."""
    key = f"reminder:{case.id}:{case.stage}:{due.isoformat()}"
    facts = {"stage": case.stage_label, "due": chinese_date(due)}
    queued = [notify.to_office(case, "reminder", dedupe_key=f"{key}:office", **facts)]
    if case.stage in deductions.UNIT_STAGES and case.assigned_unit_id:
        queued.append(notify.to_unit(case, case.assigned_unit_id, "reminder", dedupe_key=f"{key}:unit", **facts))
    return any(message is not None for message in queued)


def _office_overdue(case, due):
    key = f"overdue:{case.id}:{case.stage}:{due.isoformat()}"
    return notify.to_office(case, "office_overdue", dedupe_key=key, stage=case.stage_label,
                            due=chinese_date(due)) is not None
