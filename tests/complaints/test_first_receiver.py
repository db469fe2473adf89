"""首问负责 carried through: the first receiver keeps read-only sight, is told of each step, has a
我首问的 list; the office sees per unit what was received first, passed on and closed."""
from datetime import date

import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import operations as ops, receivers
from complaints.models import Case, ReceiverNotice
from tests.conftest import csrf_from


def _record_as(client, login, unit, liaison_unit):
    """A liaison of `liaison_unit` records a phone inquiry about `unit`; returns (liaison, case)."""
    liaison = login("liaison", unit=liaison_unit)
    page = client.get("/staff/cases/record").data.decode()
    response = client.post("/staff/cases/record", data={
        "csrf_token": csrf_from(page), "channel": "phone", "kind": "complaint", "unit_code": unit.code,
        "description": "来电反映窗口推诿", "name": "吴十", "phone": "13566667777"})
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    assert response.headers["Location"].endswith(f"/staff/cases/{case.number}")  # not the queue any more
    return liaison, case


def _steps(case, make, target):
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, target)
    ops.transfer(case, handler, make.unit(), "属其职责")
    ops.reply(case, handler, "已整改")
    ops.rate(case, "satisfied", handler, "电话回访")
    db.session.commit()


def test_a_liaison_keeps_read_only_sight_of_a_case_they_received(client, unit, make, login):
    liaison, case = _record_as(client, login, unit, make.unit())
    _steps(case, make, unit)
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert "您是本件的首问责任人" in html and "已办结" in html
    assert 'name="unit_reply-csrf_token"' not in html and "吴" not in html and "1356" not in html
    token = csrf_from(client.get("/staff/cases/record").data)
    assert client.post(f"/staff/cases/{case.number}/identity", data={"csrf_token": token}).status_code == 403
    mine = client.get("/staff/cases/?mine=y&status=all").data.decode()
    assert case.number in mine and "吴" not in mine.split("<tbody>")[1]
    searched = client.get("/staff/cases/?mine=y&status=all&q=13566667777").data.decode()
    assert case.number not in searched.split("<tbody>")[1]  # no search by an identity not released
    export = client.get("/staff/cases/export.csv").data.decode("utf-8-sig")
    assert case.number in export and "吴" not in export
    # Another liaison of the same unit did not receive it: for them it does not exist.
    login("liaison", unit=liaison.unit)
    assert client.get(f"/staff/cases/{case.number}").status_code == 404


def test_the_first_receiver_is_told_of_each_step_and_nothing_of_the_complainant(client, unit, make, login):
    liaison, case = _record_as(client, login, unit, make.unit())
    _steps(case, make, unit)
    notices = db.session.scalars(sa.select(ReceiverNotice).order_by(ReceiverNotice.id)).all()
    assert [n.action for n in notices] == ["accept", "assign", "transfer", "reply", "close"]
    assert {n.user_id for n in notices} == {liaison.id}
    assert all(case.number in n.body and "吴" not in n.body and "1356" not in n.body for n in notices)
    assert notices[-1].body.endswith("有新进展：办结，当前状态为“已办结”。")
    assert "5条新通知" in client.get("/staff/cases/").data.decode()
    page = client.get("/staff/cases/?mine=y").data.decode()
    assert "首问跟踪通知" in page and page.count('class="unread"') == 5
    assert receivers.unread_count(liaison) == 0 and "条新通知" not in client.get("/staff/cases/").data.decode()


def test_a_handler_is_told_of_steps_others_take_not_of_their_own(unit, new_case, make):
    first, other = make.user("handler"), make.user("handler")
    case = new_case()
    case.first_receiver_id = first.id
    ops.accept(case, first)  # their own step: no notice
    ops.assign(case, other, unit)
    assert [(n.user_id, n.action) for n in db.session.scalars(sa.select(ReceiverNotice))] == [(first.id, "assign")]
    web = new_case()  # filed online: the handler who accepts becomes the first receiver, told nothing of it
    ops.accept(web, other)
    assert web.first_receiver_id == other.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceiverNotice)) == 1


def test_the_office_sees_per_unit_what_was_received_first_passed_on_and_closed(client, unit, new_case, make, login):
    front = make.unit(name="省政务服务中心")
    desk = make.user("liaison", unit=front)
    handler = make.user("handler")
    for index in range(3):  # three received at the front desk: two passed to `unit`, one of them closed
        case = new_case(first_receiver=desk)
        ops.accept(case, handler)
        ops.assign(case, handler, unit if index < 2 else front)
        if index == 0:
            ops.reply(case, handler, "已答复")
            ops.rate(case, "basic", handler, "回访")
    ops.accept(new_case(), handler)  # the office's own first receipt
    db.session.commit()
    rows = receivers.by_unit(date.today().year)
    assert {r["unit"]: (r["received"], r["handed_over"], r["closed"]) for r in rows} == {
        "省政务服务中心": (3, 2, 1), "效能办": (1, 0, 0)}
    login("liaison", unit=front)
    assert client.get("/staff/cases/first-receivers").status_code == 403
    login("handler")
    html = client.get("/staff/cases/first-receivers").data.decode()
    assert "省政务服务中心" in html and "33.3%" in html
    assert client.get("/staff/cases/first-receivers?year=99999").status_code == 200
