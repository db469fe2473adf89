"""The handler's queue: search, filters, the days left per case, the office's figures and the trend.

Reads only. Every statement starts from operations.visibility(user), so a liaison's search, filters
and figures cover only the cases they may see, and the complainant's name and phone are searched
only where the user may see them: always for the office, for a unit only on a case released to it
(else a search by name would tell the unit who complained).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.clock import SHANGHAI
from app.kernel.extensions import db
from app.kernel.privacy import normalise_phone
from app.kernel.scheme import current_scheme
from app.registry.models import Role
from complaints import workflow
from complaints.models import Case, CaseKind, Rating
from complaints.operations import current_due, queue_order, visibility

# Filter values of the status field beyond the single statuses.
STATUS_GROUPS = {
    "open": "办理中", "closed": "已办结或不予受理", "all": "全部状态", "callback_due": "待回访",
}
DUE_FILTERS = {"overdue": "已超期", "soon": "即将到期", "week": "本周到期"}
SATISFIED = (Rating.satisfied, Rating.basic)  # 满意率: at or above 基本满意
MAX_WORDS = 5


@dataclass
class Filters:
    """What the queue form asked for; empty values do not filter."""

    text: str = ""
    kind: str = ""
    status: str = "open"
    unit_id: int | None = None
    channel: str = ""
    received_from: date | None = None
    received_to: date | None = None
    due: str = ""
    mine: bool = False  # 我首问的: only the cases this user received first


def _like(word):
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _identity_allowed(user):
    """Where the user may search the complainant's name and phone."""
    if user.role in (Role.admin, Role.handler):
        return sa.true()
    return sa.and_(Case.identity_released, Case.assigned_unit_id == user.unit_id)


def search_condition(text, user):
    """Every word (up to five) must appear in the number, the description, or the name or phone."""
    conditions = []
    phone = normalise_phone(text)  # a number typed with spaces, dashes or +86 is one word
    for word in [phone] if phone else text.split()[:MAX_WORDS]:
        word = normalise_phone(word) or word
        pattern = _like(word)
        identity = sa.or_(Case.citizen_name.like(pattern, escape="\\"),
                          Case.citizen_phone.like(pattern, escape="\\"))
        conditions.append(sa.or_(Case.number.like(pattern, escape="\\"),
                                 Case.description.like(pattern, escape="\\"),
                                 sa.and_(_identity_allowed(user), identity)))
    return sa.and_(sa.true(), *conditions)


def _status_condition(status):
    if status == "open":
        return Case.status.in_(workflow.OPEN_STATUSES)
    if status == "closed":
        return Case.status.in_(workflow.FINAL_STATUSES)
    if status == "callback_due":
        return callback_due()
    if status in workflow.STATUSES:
        return Case.status == status
    return sa.true()


def callback_due():
    """回访 outstanding: a replied case waits for the handler's callback and rating; a callback case
    (bad survey rating) waits for its first call."""
    return sa.or_(Case.status == workflow.CaseStatus.replied,
                  sa.and_(Case.kind == CaseKind.callback, Case.status == workflow.CaseStatus.received))


def due_window(name, today, calendar):
    """(first, last) due days of a due filter: overdue, soon (the scheme's working days) or this week."""
    if name == "overdue":
        return None, today - timedelta(days=1)
    if name == "soon":
        return today, calendar.add_working_days(today, current_scheme()["cases"]["due_soon_days"])[0]
    if name == "week":
        return today, today + timedelta(days=6 - today.weekday())
    return None, None


def _due_condition(name, today, calendar):
    if name not in DUE_FILTERS:
        return sa.true()
    first, last = due_window(name, today, calendar)
    due = current_due()
    return sa.and_(due.is_not(None), due >= first if first else sa.true(), due <= last)


def queue_statement(user, filters, today, calendar):
    """The visible cases matching `filters`, by the running step's deadline, with their units loaded."""
    stmt = (sa.select(Case).where(visibility(user), _status_condition(filters.status),
                                  _due_condition(filters.due, today, calendar))
            .options(so.joinedload(Case.unit), so.joinedload(Case.assigned_unit)))
    if filters.text:
        stmt = stmt.where(search_condition(filters.text, user))
    if filters.mine:
        stmt = stmt.where(Case.first_receiver_id == user.id)
    if filters.kind:
        stmt = stmt.where(Case.kind == filters.kind)
    if filters.unit_id:
        stmt = stmt.where(sa.or_(Case.unit_id == filters.unit_id, Case.assigned_unit_id == filters.unit_id))
    if filters.channel:
        stmt = stmt.where(Case.channel == filters.channel)
    if filters.received_from:
        stmt = stmt.where(Case.received_on >= filters.received_from)
    if filters.received_to:
        stmt = stmt.where(Case.received_on <= filters.received_to)
    return stmt.order_by(*queue_order())


@dataclass(frozen=True)
class DaysLeft:
    """Time left on the running step: working days (calendar days for the citizen's rating week)."""

    count: int
    overdue: bool
    working: bool

    @property
    def text(self):
        unit = "个工作日" if self.working else "天"
        if self.overdue:
            return f"超期{self.count}{unit}" if self.count else "已超期"
        return f"剩{self.count}{unit}" if self.count else "今日到期"


def days_left(case, today, calendar):
    """The DaysLeft of a case's running step, or None once it is finished."""
    due = case.current_due_on
    if due is None:
        return None
    working = case.stage != "rating"
    if due < today:
        count = calendar.working_days_between(due, today) if working else (today - due).days
        return DaysLeft(count, True, working)
    count = calendar.working_days_between(today, due) if working else (due - today).days
    return DaysLeft(count, False, working)


def _utc(day):
    """Beijing midnight starting `day`, as the naive UTC the timestamp columns store."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)


def _month_start(day, back=0):
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def figures(user, today, calendar):
    """The queue's headline figures over the cases `user` may see, in one query."""
    due, is_open = current_due(), Case.status.in_(workflow.OPEN_STATUSES)
    _first, week_end = due_window("week", today, calendar)
    month = _utc(_month_start(today))
    rated_this_month = sa.and_(Case.status == workflow.CaseStatus.closed, Case.rating.is_not(None),
                               Case.closed_at >= month)

    def count(condition):
        return sa.func.count(sa.case((condition, 1)))

    row = (sa.select(count(is_open), count(sa.and_(is_open, due < today)),
                     count(sa.and_(is_open, due >= today, due <= week_end)), count(callback_due()),
                     count(rated_this_month), count(sa.and_(rated_this_month, Case.rating.in_(SATISFIED))))
           .where(visibility(user)))
    open_, overdue, week, callbacks, rated, satisfied = db.session.execute(row).one()
    return {"open": open_, "overdue": overdue, "week": week, "callbacks": callbacks, "rated": rated,
            "satisfaction": satisfied / rated if rated else None}


def trend(user, today, months=12):
    """Per month, oldest first: cases received, closed (办结), declined, and the satisfaction rate of
    those closed with a rating. Months are Beijing months; a few grouped queries, any volume."""
    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    received = _bucketed(Case.received_on, starts, [], user)
    closed_at = [_utc(day) for day in starts]
    closed = _bucketed(Case.closed_at, closed_at, [Case.status == workflow.CaseStatus.closed], user,
                       extra=(Case.rating.in_(SATISFIED), Case.rating.is_not(None)))
    declined = _bucketed(Case.closed_at, closed_at, [Case.status == workflow.CaseStatus.declined], user)
    rows = []
    for index, start in enumerate(starts):
        done, satisfied, rated = closed.get(index, (0, 0, 0))
        rows.append({"month": start, "received": received.get(index, (0,))[0], "closed": done,
                     "declined": declined.get(index, (0,))[0], "rated": rated,
                     "satisfaction": satisfied / rated if rated else None})
    return rows


def _bucketed(column, starts, conditions, user, extra=()):
    """{month index: (count, count of each `extra` condition…)} of cases whose `column` falls in it."""
    bucket = sa.case(*[(column >= start, index) for index, start in reversed(list(enumerate(starts)))])
    counts = [sa.func.count(sa.case((condition, 1))) for condition in extra]
    stmt = (sa.select(bucket, sa.func.count(), *counts)
            .where(visibility(user), column >= starts[0], *conditions).group_by(bucket))
    return {index: tuple(values) for index, *values in db.session.execute(stmt)}
