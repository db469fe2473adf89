"""The working calendar as stored data: loaded holiday notices, and deadlines applied to cases."""
from datetime import date

import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.kernel.scheme import current_scheme
from complaints import deadlines, events, holiday_notice, workflow
from complaints.models import Case, CalendarDay, CalendarYear


def work_calendar():
    """The calendar in force: the package's years, every notice an admin loaded, and the scheme's
    statutory holidays for the years still without one."""
    loaded = {year: {} for year in db.session.scalars(sa.select(CalendarYear.year))}
    for day, year, workday in db.session.execute(sa.select(CalendarDay.day, CalendarDay.year, CalendarDay.workday)):
        loaded[year][day] = workday
    return deadlines.WorkCalendar(loaded, current_scheme()["cases"]["statutory_holidays"])


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
    """Store a year's official notice (replacing an earlier one) and recompute the deadlines it touches.

    Every open case whose deadline window (from receipt to the reply deadline)
    includes a day of `year` is recounted, not only provisional ones: a corrected
    notice changes deadlines computed from the first. Raises holiday_notice.NoticeError
    for a malformed notice; returns the number of cases recomputed.
    """
    days = holiday_notice.parse_notice(text, year)
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
    touched = sa.and_(Case.received_on <= date(year, 12, 31), Case.reply_due_on >= date(year, 1, 1))
    cases = db.session.scalars(_open_cases().where(sa.or_(Case.deadlines_provisional, touched))).all()
    return recompute(cases, work_calendar(), user, f"载入{year}年节假日安排后")


def recompute_known_years(calendar, now=None):
    """Recount provisional cases whose years the calendar now knows (say, after a package upgrade).

    Run by the daily sweep; returns the number of cases recomputed.
    """
    cases = [case for case in db.session.scalars(_open_cases().where(Case.deadlines_provisional))
             if all(calendar.knows(year) for year in range(case.received_on.year, case.reply_due_on.year + 1))]
    return recompute(cases, calendar, None, "日历已有官方节假日安排，", now)


def recompute(cases, calendar, user, why, now=None):
    """Recount each case's deadlines on `calendar`, logging every change as an event; returns len(cases)."""
    for case in cases:
        before = (case.accept_due_on, case.reply_due_on)
        if apply_deadlines(case, calendar):
            events.record_fact(case, "recompute", actor=user, label=None if user else "系统", now=now,
                               note=f"{why}重新计算期限：受理 {before[0]} → {case.accept_due_on},"
                                    f"答复 {before[1]} → {case.reply_due_on}")
    db.session.flush()
    return len(cases)


def _open_cases():
    return sa.select(Case).where(Case.status.in_(workflow.OPEN_STATUSES)).order_by(Case.id)


def unknown_years(today):
    """Years without an official arrangement that matter now: this year, next year from the scheme's
    warning month on (the notice usually comes out in November), and any in open cases' deadlines."""
    calendar = work_calendar()
    years = {today.year}
    if today.month >= current_scheme()["cases"]["holiday_notice_warn_month"]:
        years.add(today.year + 1)
    stmt = sa.select(Case.reply_due_on).where(Case.status.in_(workflow.OPEN_STATUSES), Case.deadlines_provisional)
    years.update(day.year for day in db.session.scalars(stmt))
    return sorted(year for year in years if not calendar.knows(year))


def missing_notice_year(today):
    """Next year, from the scheme's warning month on, while neither the package nor a loaded notice
    knows it; else None. The office is warned on every staff page."""
    if today.month < current_scheme()["cases"]["holiday_notice_warn_month"]:
        return None
    year = today.year + 1
    if deadlines.package_knows(year) or db.session.get(CalendarYear, year) is not None:
        return None
    return year


def loaded_years():
    return db.session.scalars(sa.select(CalendarYear).order_by(CalendarYear.year)).all()
