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


def chinese_date(day):
    """A date as official Chinese text, 2026年2月14日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"
