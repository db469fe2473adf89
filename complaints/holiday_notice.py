"""Reading the State Council's yearly holiday notice (国务院办公厅关于某年部分节假日安排的通知).

Two ways to write a line, mixed freely (docs/holiday-notice-example.txt shows both):

* the notice's own items, copied as they are published:
  `二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。`
  — the name before the colon; every date or range in a sentence saying 放假 is a day off, every date
  in a sentence saying 上班 a working day (调休); text in brackets is skipped;
* one line per day or range: `2027-02-06..2027-02-12 休 春节` or `2027-02-14 班 春节调休`.

Blank lines and lines starting with # are skipped; every date must lie in the notice's year.
Pure code: no Flask, no database.
"""
import re
from datetime import date, timedelta

from app.kernel.refusals import Refusal


class NoticeError(Refusal):
    """A holiday notice that cannot be read; the message names the line."""


_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|\u81f3)\s*(\d{4}-\d{2}-\d{2}))?\s+(\S+)\s*(.*)$")
_KINDS = {"休": False, "假": False, "holiday": False, "班": True, "workday": True}
_ITEM = re.compile(r"^(?:[\u4e00-\u5341\u767e]+\u3001)?([^\uff1a:]{1,20})[\uff1a:](.+)$")  # 二、春节：……
_BRACKETS = re.compile(r"\uff08[^\uff09]*\uff09|\([^)]*\)")  # （农历腊月二十八、周日）
_DATE = r"(?:(\d{4})\u5e74)?(?:(\d{1,2})\u6708)?(\d{1,2})\u65e5"  # [2027年][2月]15日
_RANGE = re.compile(_DATE + r"(?:\s*[\u81f3\-~\u2014]\s*" + _DATE + ")?")  # 2月15日至23日
_SENTENCE = re.compile(r"[\u3002\uff1b;]")  # 。；


def parse_notice(text, year):
    """The notice as {day: (is_workday, name)}; raises NoticeError naming the first bad line."""
    days = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parsed = _iso_line(line, year) if line[:1].isdigit() else _item_line(line, year)
        except NoticeError as error:
            raise NoticeError(f"第{number}行{error.message}：{line[:60]}") from None
        days.update(parsed)
    if not days:
        raise NoticeError("没有读到任何日期。")
    return days


def _iso_line(line, year):
    match = _LINE.match(line)
    if not match or match.group(3) not in _KINDS:
        raise NoticeError("格式不正确")
    try:
        first = date.fromisoformat(match.group(1))
        last = date.fromisoformat(match.group(2) or match.group(1))
    except ValueError:
        raise NoticeError("日期无效") from None
    return _span(first, last, year, _KINDS[match.group(3)], match.group(4).strip()[:40])


def _item_line(line, year):
    """One item of the notice: `名称：……放假……。……上班。`"""
    match = _ITEM.match(line)
    if not match:
        raise NoticeError("格式不正确，应为“名称：某月某日至某日放假……某月某日上班。”")
    name, body = match.group(1).strip(), _BRACKETS.sub("", match.group(2))
    days = {}
    for sentence in filter(None, (part.strip() for part in _SENTENCE.split(body))):
        workday = "上班" in sentence
        if not workday and "放假" not in sentence and "休" not in sentence:
            continue
        month = None
        for found in _RANGE.finditer(sentence):
            first, month = _day(found.groups()[:3], month, year)
            last, month = _day(found.groups()[3:], month, year) if found.group(6) else (first, month)
            days.update(_span(first, last, year, workday, name + ("调休上班" if workday else "")))
    if not days:
        raise NoticeError("没有读到“放假”或“上班”的日期")
    return days


def _day(parts, month, year):
    """A date from (year, month, day) text, the month carried over from the range's start."""
    written_year, written_month, day = parts
    month = int(written_month) if written_month else month
    if month is None:
        raise NoticeError("日期缺少月份")
    try:
        return date(int(written_year) if written_year else year, month, int(day)), month
    except ValueError:
        raise NoticeError("日期无效") from None


def _span(first, last, year, workday, name):
    if first > last or first.year != year or last.year != year:
        raise NoticeError(f"的日期须在{year}年内且起止有序")
    return {first + timedelta(days=n): (workday, name[:40]) for n in range((last - first).days + 1)}
