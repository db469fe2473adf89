"""Local time for rules stated in Beijing time (campaign dates, deadlines)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_now():
    return datetime.now(timezone.utc).astimezone(SHANGHAI)


def local_today():
    return local_now().date()


def utcnow():
    """Naive UTC, as every timestamp column stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_date(moment):
    """The Beijing date of a naive-UTC (as stored) or aware datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).date()


def local_text(moment, fmt="%Y年%-m月%-d日 %H:%M"):
    """A stored naive-UTC time as Beijing wall-clock text ("" for none); fmt="iso" gives ISO 8601."""
    if moment is None:
        return ""
    local = moment.replace(tzinfo=timezone.utc).astimezone(SHANGHAI)
    return local.isoformat(timespec="seconds") if fmt == "iso" else local.strftime(fmt)


def chinese_date(day):
    """A date as official Chinese text, 2026年2月14日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def local_day_start(day):
    """The first moment of a Beijing calendar day as naive UTC, to compare with stored times."""
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)
