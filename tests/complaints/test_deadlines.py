"""Working-day deadlines on the official calendar: holidays, 调休 workdays, unannounced years."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import holidays
from complaints.deadlines import WorkCalendar, compute, end_of_day
from complaints.holiday_notice import NoticeError, parse_notice
from app.kernel.clock import local_date
from complaints.models import CaseEvent
from tests.conftest import csrf_from

CAL = WorkCalendar()


@pytest.mark.parametrize("start, days, due", [
    # Spring Festival 2025: 1月28日—2月4日 off; the day after the break is the first working day.
    (date(2025, 1, 27), 1, date(2025, 2, 5)),
    # 调休: Sunday 26 January 2025 is a working day, so a Friday filing is due that Sunday.
    (date(2025, 1, 24), 1, date(2025, 1, 26)),
    # 调休 Saturday 8 February 2025.
    (date(2025, 2, 7), 1, date(2025, 2, 8)),
    # National Day 2025 (10月1日—8日) with the make-up Saturday 11 October counted.
    (date(2025, 9, 30), 5, date(2025, 10, 14)),
    # Spring Festival 2026 (2月15日—23日), make-up Saturdays 14 and 28 February both count.
    (date(2026, 2, 13), 15, date(2026, 3, 12)),
    # National Day 2026 (10月1日—7日), make-up Saturday 10 October.
    (date(2026, 9, 30), 5, date(2026, 10, 13)),
    # An ordinary week: Friday + 1 is Monday.
    (date(2025, 3, 7), 1, date(2025, 3, 10)),
    (date(2025, 3, 7), 0, date(2025, 3, 7)),
])
def test_working_days_on_the_official_calendar(start, days, due):
    assert CAL.add_working_days(start, days) == (due, False)


def test_make_up_saturday_is_a_workday_and_holiday_weekday_is_not():
    assert CAL.is_workday(date(2025, 10, 11)) and not CAL.is_workday(date(2025, 10, 3))
    assert not CAL.is_workday(date(2025, 10, 6))  # a Monday inside National Day
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 14)) == 5


def test_unannounced_year_without_statutory_rules_counts_weekends_only_and_is_provisional():
    due, provisional = CAL.add_working_days(date(2026, 12, 24), 15)
    assert provisional and due == date(2027, 1, 14)  # a calendar given no rules counts 1 January 2027
    assert not CAL.knows(2027)
    loaded = WorkCalendar({2027: {date(2027, 1, 1): False}})
    assert loaded.add_working_days(date(2026, 12, 24), 15) == (date(2027, 1, 15), False)


def test_loaded_notice_wins_over_the_package():
    calendar = WorkCalendar({2025: {date(2025, 3, 10): False}})  # pretend an extra holiday
    assert calendar.add_working_days(date(2025, 3, 7), 1) == (date(2025, 3, 11), False)


def test_reply_deadline_counts_from_acceptance_once_it_starts():
    before = compute(CAL, received_on=date(2025, 9, 26), accept_days=1, reply_days=5)
    assert before.accept_due_on == date(2025, 9, 28)  # a 调休 Sunday
    after = compute(CAL, received_on=date(2025, 9, 26), accept_days=1, reply_days=5, reply_started_on=date(2025, 9, 26))
    assert after.reply_due_on < before.reply_due_on
    extended = compute(CAL, received_on=date(2025, 9, 26), accept_days=1, reply_days=5,
                       reply_started_on=date(2025, 9, 26), extension_days=2)
    assert CAL.working_days_between(after.reply_due_on, extended.reply_due_on) == 2


def test_beijing_time_decides_the_day():
    # 17:30 UTC on 26 January is 01:30 on the 27th in Beijing: the case counts from the 27th.
    assert local_date(datetime(2025, 1, 26, 17, 30)) == date(2025, 1, 27)
    assert end_of_day(date(2025, 2, 5)).isoformat() == "2025-02-05T23:59:59+08:00"


def test_case_filed_at_night_utc_uses_the_beijing_date(new_case):
    case = new_case(now=datetime(2025, 1, 26, 17, 30))
    assert case.received_on == date(2025, 1, 27) and case.accept_due_on == date(2025, 2, 5)


@pytest.mark.parametrize("text, message", [
    ("2027-13-01 休 元旦", "日期无效"),
    ("2026-12-31 休 元旦", "2027年内"),
    ("2027-01-01 放假 元旦", "格式不正确"),
    ("# only a comment", "没有读到"),
    ("2027-02-12..2027-02-06 休 春节", "起止有序"),
])
def test_malformed_notice_is_refused(text, message):
    with pytest.raises(NoticeError, match=message):
        parse_notice(text, 2027)


def test_notice_parses_ranges_and_make_up_days():
    days = parse_notice("2027-02-06..2027-02-08 休 春节\n\n2027-02-14 班 春节调休", 2027)
    assert days[date(2027, 2, 7)] == (False, "春节") and days[date(2027, 2, 14)] == (True, "春节调休")
    assert len(days) == 4


def test_bad_notice_on_the_admin_page_stores_nothing(client, login):
    login("admin")
    page = client.get("/admin/cases/calendar").data.decode()
    response = client.post("/admin/cases/calendar", data={"csrf_token": csrf_from(page), "year": "2027",
                                                          "text": "2027-01-01 休 元旦\n明年春节放假"})
    assert response.status_code == 400 and "第2行格式不正确" in response.data.decode()
    assert holidays.loaded_years() == []


def test_corrected_notice_recounts_cases_computed_from_the_first_one(new_case, make):
    admin = make.user("admin")
    holidays.load_year(2027, "2027-01-01 休 元旦", admin, "第一次通知")
    case = new_case(now=datetime(2026, 12, 24, 2, 0))
    assert not case.deadlines_provisional and case.reply_due_on == date(2027, 1, 18)
    untouched = new_case(now=datetime(2026, 3, 2, 2, 0))  # its deadlines lie wholly in 2026
    before = (untouched.accept_due_on, untouched.reply_due_on)

    holidays.load_year(2027, "2027-01-01 休 元旦\n2027-01-04 休 更正:补充假日", admin, "更正通知")
    assert case.reply_due_on == date(2027, 1, 19) and not case.deadlines_provisional
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.action == "recompute")).one()
    assert "载入2027年节假日安排后" in event.note and "2027-01-18 → 2027-01-19" in event.note
    assert (untouched.accept_due_on, untouched.reply_due_on) == before
    assert db.session.scalar(sa.select(sa.func.count(CaseEvent.id)).where(
        CaseEvent.case_id == untouched.id, CaseEvent.action == "recompute")) == 0
