"""The working calendar as stored data: loaded holiday notices, and deadlines applied to cases."""
import sqlalchemy as sa

from app.extensions import db
from app.models import utcnow
from complaints import deadlines, workflow
from complaints.models import Case, CaseEvent, CalendarDay, CalendarYear


def work_calendar():
    """The calendar in force: the package's years plus every notice an admin loaded."""
    loaded = {year: {} for year in db.session.scalars(sa.select(CalendarYear.year))}
    for day, year, workday in db.session.execute(sa.select(CalendarDay.day, CalendarDay.year, CalendarDay.workday)):
        loaded[year][day] = workday
    return deadlines.WorkCalendar(loaded)


def apply_deadlines(case, calendar):
    """Recompute the case's due days from its base dates; returns True if any changed."""
    result = deadlines.compute(calendar, received_on=case.received_on, accept_days=case.accept_days,
                               reply_days=case.reply_days, reply_started_on=case.reply_started_on,
                               extension_days=case.extension_days)
    changed = (case.accept_due_on, case.reply_due_on) != (result.accept_due_on, result.reply_due_on)
    case.accept_due_on, case.reply_due_on = result.accept_due_on, result.reply_due_on
    case.deadlines_provisional = result.provisional
    return changed


def load_year(year, text, user, note=""):
    """Store a year's official notice (replacing an earlier one) and recompute provisional deadlines.

    Raises deadlines.NoticeError for a malformed notice; returns the number of cases recomputed.
    """
    days = deadlines.parse_notice(text, year)
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.year == year))
    record = db.session.get(CalendarYear, year)
    if record is None:
        record = CalendarYear(year=year)
        db.session.add(record)
    record.note, record.loaded_by_id, record.loaded_at = note[:200], user.id if user else None, utcnow()
    db.session.flush()
    db.session.add_all(CalendarDay(day=day, year=year, workday=workday, name=name)
                       for day, (workday, name) in sorted(days.items()))
    db.session.flush()
    return recompute_provisional(user)


def recompute_provisional(user=None):
    """Recount every open case whose deadlines were provisional, logging each change as an event."""
    calendar = work_calendar()
    stmt = sa.select(Case).where(Case.deadlines_provisional, Case.status.in_(workflow.OPEN_STATUSES))
    count = 0
    for case in db.session.scalars(stmt).all():
        before = (case.accept_due_on, case.reply_due_on)
        if apply_deadlines(case, calendar):
            db.session.add(CaseEvent(
                case_id=case.id, action="recompute", from_status=case.status, to_status=case.status,
                actor_id=user.id if user else None, actor_label=_label(user),
                note=f"载入节假日安排后重新计算期限:受理 {before[0]} → {case.accept_due_on},"
                     f"答复 {before[1]} → {case.reply_due_on}",
            ))
        count += 1
    db.session.flush()
    return count


def _label(user):
    return (user.display_name or user.username) if user else "系统"


def unknown_years(today):
    """Years without an official arrangement that matter now: next year, and any in open cases' deadlines."""
    calendar = work_calendar()
    years = {today.year, today.year + 1}
    stmt = sa.select(Case.reply_due_on).where(Case.status.in_(workflow.OPEN_STATUSES), Case.deadlines_provisional)
    years.update(day.year for day in db.session.scalars(stmt))
    return sorted(year for year in years if not calendar.knows(year))


def loaded_years():
    return db.session.scalars(sa.select(CalendarYear).order_by(CalendarYear.year)).all()
