"""Working-day arithmetic on China's official calendar (调休 included), in Beijing time.

The chinese_calendar package knows the years the State Council has announced.
For a later year an admin loads the official notice as data. Until then the
year counts its weekends and the statutory holidays of 《全国年节及纪念日放假办法》
(known years ahead: the lunar ones from lunar_python) as days off; only the
swaps (调休) wait for the notice, so every deadline that touched such a year is
marked provisional and recomputed when the notice is loaded. Pure code: no
Flask, no database.
"""
import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar
from lunar_python import Lunar

from app.kernel.clock import SHANGHAI


@functools.cache
def package_knows(year):
    """Whether chinese_calendar has the official arrangement for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _solar(lunar_solar):
    return date(lunar_solar.getYear(), lunar_solar.getMonth(), lunar_solar.getDay())


def _first_day(rule, year):
    """The first day of a statutory holiday in `year`: a solar date, a lunar date, or a solar term."""
    if "solar" in rule:
        return date(year, *rule["solar"])
    if "lunar" in rule:
        return _solar(Lunar.fromYmd(year, *rule["lunar"]).getSolar())
    return _solar(Lunar.fromYmd(year, 1, 1).getJieQiTable()[rule["term"]])


def statutory_holidays(rules, year):
    """{day: name} of the statutory holidays of `year` under `rules` (the scheme's [cases]
    statutory_holidays): e.g. 春节 from 除夕 (the day before 正月初一) for four days."""
    return _holidays(_rules_key(rules), year)


def _rules_key(rules):
    return json.dumps(list(rules), ensure_ascii=False, sort_keys=True)


@functools.lru_cache(maxsize=64)
def _holidays(rules_text, year):
    days = {}
    for rule in json.loads(rules_text):
        first = _first_day(rule, year) + timedelta(days=rule.get("from", 0))
        days.update({first + timedelta(days=n): rule["name"] for n in range(rule["days"])})
    return days


class WorkCalendar:
    """Workdays from loaded notices (which win), else the package, else weekdays less the statutory
    holidays (provisional: the notice's swaps are not known yet)."""

    def __init__(self, loaded=None, statutory=()):
        # {year: {day: is_workday}} for years whose official notice an admin loaded.
        self.loaded = loaded or {}
        # The scheme's statutory holiday rules, for years without a notice (as text: a cache key).
        self.statutory = _rules_key(statutory)

    def knows(self, year):
        return year in self.loaded or package_knows(year)

    def is_workday(self, day):
        if day.year in self.loaded:
            return self.loaded[day.year].get(day, day.weekday() < 5)
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in _holidays(self.statutory, day.year)

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
