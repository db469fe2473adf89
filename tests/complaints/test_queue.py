"""The handler's queue over a few thousand cases: search, filters, pagination, days left, figures, trend."""
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import queue as cases_queue
from complaints.deadlines import WorkCalendar
from complaints.models import Case

TODAY = date(2026, 3, 11)  # a Wednesday in a year chinese_calendar knows
COUNT = 3000
KINDS = ("complaint", "inquiry", "suggestion", "report", "callback")
CHANNELS = ("web", "phone", "walk_in", "api", "survey")
STATUSES = ("received", "accepted", "assigned", "replied", "reopened", "closed", "declined")


def _row(i, units):
    status = STATUSES[i % 7]
    due = TODAY + timedelta(days=i % 31 - 15)
    received = TODAY - timedelta(days=i % 400)
    anonymous = i % 10 == 0
    finished = status in ("closed", "declined")
    unit, assigned = units[i % 3], units[(i + 1) % 3]
    return {
        "number": f"2026{i:010d}", "query_hash": "0" * 64, "kind": KINDS[i % 5], "channel": CHANNELS[i % 4],
        "status": status, "unit_id": unit.id, "assigned_unit_id": assigned.id,
        "description": "夜间施工噪音扰民" if i % 11 == 0 else f"窗口办事第{i}号事项",
        "anonymous": anonymous, "citizen_name": None if anonymous else f"市民{i}",
        "citizen_phone": None if anonymous else f"139{i:08d}", "identity_released": i % 13 == 0,
        "decline_reason": "不属于受理范围" if status == "declined" else "",
        "rating": ("satisfied", "basic", "dissatisfied")[i % 3] if status == "closed" else None,
        "closed_at": datetime.combine(received, datetime.min.time()) + timedelta(hours=4) if finished else None,
        "accept_days": 1, "reply_days": 15, "received_at": datetime.combine(received, datetime.min.time()),
        "received_on": received, "accept_due_on": due, "reply_due_on": due, "rating_due_on": due,
    }


@pytest.fixture
def cases(make, monkeypatch):
    """COUNT cases in one bulk insert; returns their rows (dicts) and the three units."""
    monkeypatch.setattr("complaints.staff.local_today", lambda: TODAY)
    units = [make.unit() for _ in range(3)]
    rows = [_row(i, units) for i in range(COUNT)]
    db.session.execute(sa.insert(Case), rows)
    db.session.commit()
    return rows, units


def _listed(html):
    return re.findall(r'/staff/cases/(\d{14})"', html)


def _total(html):
    return int(re.search(r"共 (\d+) 件", html).group(1))


def _walk(client, query):
    """Every case number the queue lists for `query`, page after page, following the page links."""
    numbers, url = [], f"/staff/cases/?{query}"
    while url:
        html = client.get(url).data.decode()
        numbers += _listed(html)
        link = re.search(r'href="([^"]+)">下一页', html)
        url = link.group(1).replace("&amp;", "&") if link else None
    return numbers, _total(client.get(f"/staff/cases/?{query}").data.decode())


OPEN = set(STATUSES) - {"closed", "declined"}


def test_pages_walk_every_match_once_in_deadline_order(client, cases, login):
    rows, _units = cases
    login("handler")
    numbers, total = _walk(client, "due=overdue&kind=complaint")
    expected = {r["number"] for r in rows if r["status"] in OPEN and r["reply_due_on"] < TODAY
                and r["kind"] == "complaint"}
    assert total == len(expected) > 50 and len(numbers) == len(set(numbers)) and set(numbers) == expected
    by_number = {r["number"]: r["reply_due_on"] for r in rows}
    assert [by_number[n] for n in numbers] == sorted(by_number[n] for n in numbers)
    html = client.get("/staff/cases/?status=all&page=2").data.decode()
    assert _total(html) == COUNT and "第 2 / 60 页" in html and len(_listed(html)) == 50


FILTERS = [
    ("kind=inquiry&status=all", lambda r: r["kind"] == "inquiry"),
    ("channel=phone&status=open", lambda r: r["channel"] == "phone" and r["status"] in OPEN),
    ("status=replied", lambda r: r["status"] == "replied"),
    ("status=callback_due", lambda r: r["status"] == "replied" or (r["kind"], r["status"]) == ("callback", "received")),
    ("status=closed&received_from=2026-01-01&received_to=2026-01-31",
     lambda r: r["status"] in ("closed", "declined") and date(2026, 1, 1) <= r["received_on"] <= date(2026, 1, 31)),
    ("due=week", lambda r: r["status"] in OPEN and TODAY <= r["reply_due_on"] <= date(2026, 3, 15)),
    # three working days after Wednesday 11 March: Thursday, Friday, Monday 16 March
    ("due=soon", lambda r: r["status"] in OPEN and TODAY <= r["reply_due_on"] <= date(2026, 3, 16)),
    ("q=噪音 施工&status=all", lambda r: "噪音" in r["description"]),
]


def test_filters_match_a_count_made_in_python(client, cases, login):
    rows, _units = cases
    login("handler")
    for query, keep in FILTERS:
        assert _total(client.get(f"/staff/cases/?{query}").data.decode()) == sum(map(keep, rows)), query


def test_unit_filter_takes_the_unit_complained_about_or_handling(client, cases, login):
    rows, units = cases
    login("handler")
    html = client.get(f"/staff/cases/?status=all&unit={units[0].code}").data.decode()
    assert _total(html) == sum(units[0].id in (r["unit_id"], r["assigned_unit_id"]) for r in rows)


def test_search_by_number_name_and_phone_shows_masked_identity(client, cases, login):
    login("handler")
    for query in ("20260000001234", "市民1234", "13900001234", "+86 139-0000-1234"):
        html = client.get("/staff/cases/", query_string={"q": query, "status": "all"}).data.decode()
        assert "20260000001234" in _listed(html), query
    assert "市*****" in html and "139****1234" in html and "13900001234" not in html.split("</form>")[1]


def test_a_liaison_finds_a_name_only_on_a_case_released_to_their_unit(client, cases, login):
    rows, units = cases
    login("liaison", unit=units[1])  # case i is assigned to units[(i + 1) % 3]: i % 3 == 0
    hidden, released = rows[3], rows[39]  # 39 % 13 == 0: released
    assert not hidden["identity_released"] and released["identity_released"]
    for row, found in ((hidden, False), (released, True)):
        html = client.get("/staff/cases/", query_string={"q": row["citizen_phone"], "status": "all"}).data.decode()
        assert (row["number"] in _listed(html)) is found
        assert row["citizen_phone"][:3] + "****" not in html  # a unit's list never shows identity
    html = client.get("/staff/cases/", query_string={"q": "窗口办事", "status": "all"}).data.decode()
    assert _total(html) == sum(r["assigned_unit_id"] == units[1].id and "窗口办事" in r["description"] for r in rows)


def test_a_page_costs_the_same_few_queries_whatever_the_volume(client, cases, login, app):
    login("handler")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get("/staff/cases/?status=all&page=7").data.decode()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(_listed(html)) == 50 and 0 < len([s for s in statements if "cases" in s]) <= 8


@pytest.mark.parametrize("query, message", [
    ("received_from=2026-13-01", "日期"), ("kind=bogus", "类型无效"), ("due=later", "期限无效"),
    ("received_from=2026-03-02&received_to=2026-03-01", "结束日期不能早于开始日期"), ("q=" + "字" * 61, "60字"),
    ("status=%00", "控制字符"),
])
def test_a_filter_that_cannot_be_read_is_a_400_with_a_message(client, login, query, message):
    login("handler")
    response = client.get(f"/staff/cases/?{query}")
    assert response.status_code == 400 and message in response.data.decode()


def test_figures_count_what_the_office_must_act_on(cases, make):
    rows, _units = cases
    figures = cases_queue.figures(make.user("handler"), TODAY, WorkCalendar())
    rated = [r for r in rows if r["status"] == "closed" and r["closed_at"] >= datetime(2026, 2, 28, 16)]
    assert figures == {
        "open": sum(r["status"] in OPEN for r in rows),
        "overdue": sum(r["status"] in OPEN and r["reply_due_on"] < TODAY for r in rows),
        "week": sum(r["status"] in OPEN and TODAY <= r["reply_due_on"] <= date(2026, 3, 15) for r in rows),
        "callbacks": sum(r["status"] == "replied" or (r["kind"], r["status"]) == ("callback", "received")
                         for r in rows),
        "rated": len(rated),
        "satisfaction": sum(r["rating"] != "dissatisfied" for r in rated) / len(rated),
    }


def test_trend_counts_each_beijing_month(client, cases, login):
    rows, _units = cases
    trend = cases_queue.trend(login("handler"), TODAY)
    assert [row["month"] for row in trend][:2] == [date(2025, 4, 1), date(2025, 5, 1)] and len(trend) == 12
    january = trend[9]
    in_january = [r for r in rows if (r["received_on"].year, r["received_on"].month) == (2026, 1)]
    assert january["received"] == len(in_january)
    assert january["closed"] == sum(r["status"] == "closed" for r in in_january)
    assert january["declined"] == sum(r["status"] == "declined" for r in in_january)
    html = client.get("/staff/cases/trend").data.decode()
    assert "2026年1月" in html and "<meter" in html


def test_days_left_counts_working_days_and_says_when_overdue():
    calendar = WorkCalendar()

    class Running:  # a case in its reply step, due on Monday 16 March
        stage, current_due_on = "reply", date(2026, 3, 16)

    assert cases_queue.days_left(Running, TODAY, calendar).text == "剩3个工作日"
    assert cases_queue.days_left(Running, date(2026, 3, 16), calendar).text == "今日到期"
    assert cases_queue.days_left(Running, date(2026, 3, 18), calendar).text == "超期2个工作日"
    Running.stage = "rating"
    assert cases_queue.days_left(Running, TODAY, calendar).text == "剩5天"
