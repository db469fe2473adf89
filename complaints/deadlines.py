"""Working-day arithmetic on China's official calendar (调休 included), in Beijing time.

The chinese_calendar package knows the years the State Council has announced.
For a later year an admin loads the official notice as data; until then a year
counts weekends only and every deadline that touched it is marked provisional,
to be recomputed when the notice is loaded. Pure code: no Flask, no database.
"""
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar

from app.kernel.clock import SHANGHAI
from app.kernel.refusals import Refusal


@functools.cache
def package_knows(year):
    """Whether chinese_calendar has the official arrangement for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Workdays from loaded notices (which win), else the package, else weekdays (provisional)."""

    def __init__(self, loaded=None):
        # {year: {day: is_workday}} for years whose official notice an admin loaded.
        self.loaded = loaded or {}

    def knows(self, year):
        return year in self.loaded or package_knows(year)

    def is_workday(self, day):
        if day.year in self.loaded:
            return self.loaded[day.year].get(day, day.weekday() < 5)
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add_working_days(self, start, count):
        """The `count`-th working day after `start` (the start day itself is not counted).

        Returns (day, provisional): provisional if any day walked lies in a year
        without an official arrangement.
        """
        day, provisional = start, not self.knows(start.year)
        while count > 0:
            day += timedelta(days=1)
            provisional = provisional or not self.knows(day.year)
            if self.is_workday(day):
                count -= 1
        return day, provisional

    def working_days_between(self, start, end):
        """Working days in (start, end]; 0 if end is not after start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


@dataclass(frozen=True)
class Deadlines:
    accept_due_on: date
    reply_due_on: date
    provisional: bool


def compute(calendar, *, received_on, accept_days, reply_days, reply_started_on=None, extension_days=0):
    """A case's deadlines from its base dates and the limits it was filed under.

    Before acceptance the reply deadline is the latest it can be (counted from
    the acceptance deadline); once the reply stage starts it counts from that day.
    An approved extension adds working days after the reply deadline.
    """
    accept_due, accept_provisional = calendar.add_working_days(received_on, accept_days)
    reply_from = reply_started_on or accept_due
    reply_due, reply_provisional = calendar.add_working_days(reply_from, reply_days)
    extension_provisional = False
    if extension_days:
        reply_due, extension_provisional = calendar.add_working_days(reply_due, extension_days)
    return Deadlines(accept_due, reply_due, accept_provisional or reply_provisional or extension_provisional)


def end_of_day(day):
    """The last second of `day` in Beijing time: a deadline day is usable to its end."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


class NoticeError(Refusal):
    """A holiday notice that cannot be read; the message names the line."""


_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|\u81f3)\s*(\d{4}-\d{2}-\d{2}))?\s+(\S+)\s*(.*)$")
_KINDS = {"休": False, "假": False, "holiday": False, "班": True, "workday": True}


def parse_notice(text, year):
    """Parse an official holiday notice typed as lines into {day: (is_workday, name)}.

    Each line: `2027-02-06..2027-02-12 休 春节` or `2027-02-14 班 春节调休`;
    blank lines and lines starting with # are skipped. Every day must lie in `year`.
    """
    days = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match or match.group(3) not in _KINDS:
            raise NoticeError(f"第{number}行格式不正确：{line[:60]}")
        try:
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2) or match.group(1))
        except ValueError:
            raise NoticeError(f"第{number}行日期无效：{line[:60]}") from None
        if first > last or first.year != year or last.year != year:
            raise NoticeError(f"第{number}行的日期须在{year}年内且起止有序")
        day = first
        while day <= last:
            days[day] = (_KINDS[match.group(3)], match.group(4).strip()[:40])
            day += timedelta(days=1)
    if not days:
        raise NoticeError("没有读到任何日期。")
    return days
