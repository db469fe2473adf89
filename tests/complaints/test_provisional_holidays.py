"""Years the State Council has not announced yet: provisional deadlines skip the statutory holidays
(《全国年节及纪念日放假办法》, lunar ones from lunar_python), stay marked provisional, are recomputed when
the notice (written as the notice itself reads) is loaded; the office is warned from November; citizens
read only 以国务院节假日安排为准."""
import pathlib
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import load_scheme
from complaints import holidays, operations as ops
from complaints.deadlines import WorkCalendar, statutory_holidays
from complaints.holiday_notice import NoticeError, parse_notice
from complaints.models import CaseEvent
from tests.conftest import csrf_from

RULES = load_scheme()["cases"]["statutory_holidays"]
EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "holiday-notice-example.txt"
# A notice for 2027 as an admin would paste it (made up: the real one is not out yet), with a
# make-up Saturday in January that the provisional calendar cannot know.
NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月9日（周六）上班。
二、春节：2月5日（农历腊月二十九、周五）至13日（农历正月初七、周六）放假调休，共9天。2月20日（周六）上班。"""


def _beijing(day, hour=10):
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour - 8)


def test_statutory_holidays_of_2027_from_the_lunar_calendar():
    days = statutory_holidays(RULES, 2027)
    assert days == {
        date(2027, 1, 1): "元旦", **{date(2027, 2, d): "春节" for d in (5, 6, 7, 8)},  # 除夕 to 初三
        date(2027, 4, 5): "清明节", date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节", date(2027, 9, 15): "中秋节",
        **{date(2027, 10, d): "国庆节" for d in (1, 2, 3)},
    }
    later = statutory_holidays(RULES, 2028)  # 中秋节 falls on 3 October, inside 国庆节: 12 days, not 13
    assert len(later) == 12 and later[date(2028, 1, 25)] == "春节" and date(2028, 10, 3) in later


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_holiday_of_an_announced_year_is_a_day_off_in_the_package(year):
    """The rules agree with the State Council's own arrangements where both are known."""
    assert all(not chinese_calendar.is_workday(day) for day in statutory_holidays(RULES, year))


def test_a_case_filed_on_30_december_2026_skips_new_year_then_is_recomputed(client, new_case, login):
    case = new_case(now=_beijing(date(2026, 12, 30)))
    # 31 December to accept; 15 working days from then, 1 January 2027 (元旦) skipped: 22 January.
    assert (case.accept_due_on, case.reply_due_on, case.deadlines_provisional) == (
        date(2026, 12, 31), date(2027, 1, 22), True)
    db.session.commit()
    admin = login("admin")
    assert "期限为临时计算" in client.get(f"/staff/cases/{case.number}").data.decode()
    page = client.get("/admin/cases/calendar").data.decode()
    response = client.post("/admin/cases/calendar", data={
        "csrf_token": csrf_from(page), "year": "2027", "note": "国办发明电〔2026〕X号", "text": NOTICE_2027})
    assert response.status_code == 302
    db.session.refresh(case)
    # The notice's make-up Saturday 9 January counts: one day earlier, and no longer provisional.
    assert (case.reply_due_on, case.deadlines_provisional) == (date(2027, 1, 21), False)
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.action == "recompute")).one()
    assert event.actor_id == admin.id and "2027-01-22 → 2027-01-21" in event.note
    assert "期限为临时计算" not in client.get(f"/staff/cases/{case.number}").data.decode()


def test_a_case_filed_on_1_february_2027_skips_the_spring_festival_days(new_case):
    case = new_case(now=_beijing(date(2027, 2, 1)))
    # Accept by Tuesday 2 February; 除夕 (Friday 5) and 初三 (Monday 8) are off: 25 February, not 23.
    assert (case.accept_due_on, case.reply_due_on, case.deadlines_provisional) == (
        date(2027, 2, 2), date(2027, 2, 25), True)
    inquiry = new_case(kind="inquiry", now=_beijing(date(2027, 2, 1)))
    assert inquiry.reply_due_on == date(2027, 2, 11)  # 3, 4, 9, 10, 11 February
    holidays.load_year(2027, NOTICE_2027, None, "通知")
    assert not case.deadlines_provisional and case.reply_due_on == date(2027, 3, 2)  # 5–13 off, 20th worked


def test_the_example_file_reads_as_the_2026_arrangement_the_package_knows():
    days = parse_notice(EXAMPLE.read_text(encoding="utf-8"), 2026)
    calendar = WorkCalendar({2026: {day: workday for day, (workday, _name) in days.items()}})
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert days[date(2026, 2, 28)] == (True, "春节调休上班") and days[date(2026, 10, 7)] == (False, "国庆节")


@pytest.mark.parametrize("text, message", [
    ("春节放假", "第1行格式不正确"),
    ("春节：2月15日至13日放假。", "起止有序"),
    ("元旦：2月30日放假。", "日期无效"),
    ("元旦：与周末连休。", "没有读到"),
    ("元旦：2026年12月31日至2027年1月1日放假。", "2027年内"),
])
def test_a_notice_line_that_cannot_be_read_names_the_line(text, message):
    with pytest.raises(NoticeError, match=message):
        parse_notice(text, 2027)


def test_citizens_read_only_that_the_state_council_decides(client, unit):
    case, code = ops.create_case(kind="complaint", unit=unit, description="年底的事", anonymous=True,
                                 now=_beijing(date(2026, 12, 30)))
    db.session.commit()
    client.post("/cases/lookup", data={"csrf_token": csrf_from(client.get("/cases/lookup").data),
                                       "number": case.number, "code": code})
    html = client.get(f"/cases/{case.number}").data.decode()
    assert "2027年1月22日前（以国务院节假日安排为准）" in html
    assert "临时" not in html and "尚未载入" not in html and "notice" not in html.split("<main")[1]


@pytest.mark.parametrize("today, warned", [(date(2026, 10, 31), False), (date(2026, 11, 1), True)])
def test_the_office_is_warned_from_november_that_next_year_is_missing(client, login, monkeypatch, today, warned):
    monkeypatch.setattr("app.composition.local_today", lambda: today)
    login("handler")
    assert ("2027年国务院节假日安排尚未载入" in client.get("/staff").data.decode()) is warned
    holidays.load_year(2027, NOTICE_2027, None, "通知")
    assert "holiday-notice-missing" not in client.get("/staff").data.decode()


def test_liaisons_and_citizens_get_no_november_banner(client, login, monkeypatch):
    monkeypatch.setattr("app.composition.local_today", lambda: date(2026, 11, 20))
    assert "holiday-notice-missing" not in client.get("/cases/lookup").data.decode()
    login("liaison")
    assert "holiday-notice-missing" not in client.get("/staff").data.decode()
