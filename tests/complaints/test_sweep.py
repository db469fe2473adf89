"""The daily sweep: overdue deductions (once), reminders a working day ahead, the rating timeout, the outbox,
deadlines recounted once the calendar knows their year, and a conflicting case skipped, not fatal."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import deadlines, operations as ops
from complaints.deductions import deductions_for_year
from complaints.models import Case, CaseEvent, Deduction, OutboxMessage
from complaints.sweep import sweep
from tests.conftest import csrf_from

FILED = datetime(2025, 3, 3, 2, 0)  # Monday 3 March 2025, 10:00 in Beijing


def _at(day, hour=2):
    return datetime(day.year, day.month, day.day, hour)


def _messages(topic):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == topic)).all()


@pytest.fixture
def assigned(unit, new_case, make):
    """A complaint accepted and assigned to `unit` on the day it was filed; reply due Monday 24 March 2025."""
    handler = make.user("handler")
    case = new_case(now=FILED, name="郑十一", phone="13566667777")
    ops.accept(case, handler, now=FILED)
    ops.assign(case, handler, unit, now=FILED)
    assert case.reply_due_on == date(2025, 3, 24)
    return case


def test_missed_reply_deadline_costs_the_unit_points_once(assigned, unit):
    counts = sweep(_at(date(2025, 3, 25)))
    assert counts["deductions"] == 1
    deduction = db.session.scalars(sa.select(Deduction)).one()
    assert (deduction.unit_id, deduction.year, deduction.points, deduction.stage) == (unit.id, 2025, 2, "reply")
    assert deduction.case_id == assigned.id and assigned.number in deduction.reason
    assert sweep(_at(date(2025, 3, 26)))["deductions"] == 0
    assert db.session.scalar(sa.select(sa.func.count(Deduction.id))) == 1
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.action == "overdue")).one()
    assert event.from_status == event.to_status == "assigned" and event.actor_label == "系统"
    overdue = _messages("overdue")
    assert len(overdue) == 1 and overdue[0].unit_id == unit.id and "扣分2分" in overdue[0].body
    assert deductions_for_year(2025) == [{
        "unit_code": unit.code, "unit_id": unit.id, "points": 2.0, "case_number": assigned.number,
        "stage": "reply", "due_on": date(2025, 3, 24), "reason": deduction.reason, "revoked": False,
        "revoke_reason": ""}]


def test_deadline_day_itself_is_not_late(assigned):
    assert sweep(datetime(2025, 3, 24, 15, 59))["deductions"] == 0  # 23:59 on the due day in Beijing
    assert sweep(datetime(2025, 3, 24, 16, 1))["deductions"] == 1  # 00:01 the next day


def test_unit_that_answered_in_time_is_not_charged_for_the_office(assigned, make):
    ops.unit_reply(assigned, make.user("liaison", unit=assigned.assigned_unit), "已答复", now=_at(date(2025, 3, 21)))
    counts = sweep(_at(date(2025, 3, 27)))
    assert counts["deductions"] == 0 and counts["office_overdue"] == 1
    sweep(_at(date(2025, 3, 28)))
    assert len(_messages("office_overdue")) == 1


def test_late_unit_reply_is_charged_even_before_a_sweep(assigned, make):
    liaison = make.user("liaison", unit=assigned.assigned_unit)
    ops.unit_reply(assigned, liaison, "迟到的答复", now=_at(date(2025, 3, 26)))
    assert db.session.scalar(sa.select(Deduction.stage)) == "reply"
    assert sweep(_at(date(2025, 3, 27)))["deductions"] == 0


def test_review_after_reopening_is_a_second_deadline(assigned, make):
    handler = make.user("handler")
    ops.reply(assigned, handler, "答复", now=_at(date(2025, 3, 10)))
    ops.rate(assigned, "dissatisfied", now=_at(date(2025, 3, 11)))
    assert assigned.status == "reopened" and assigned.reply_due_on == date(2025, 4, 1)
    sweep(_at(date(2025, 4, 3)))
    assert db.session.scalars(sa.select(Deduction.stage)).all() == ["review"]


def test_reminder_one_working_day_before_goes_to_the_unit_and_the_office_once(assigned, unit):
    assert sweep(_at(date(2025, 3, 20)))["reminders"] == 0  # two working days left
    assert sweep(_at(date(2025, 3, 21)))["reminders"] == 1  # Friday: Monday is the last day
    assert sweep(_at(date(2025, 3, 22)))["reminders"] == 0
    assert sweep(_at(date(2025, 3, 24)))["reminders"] == 0
    reminders = _messages("reminder")
    assert sorted((m.audience, m.unit_id) for m in reminders) == [("office", None), ("unit", unit.id)]
    assert all("2025年3月24日" in m.body and assigned.number in m.body for m in reminders)


def test_reminder_before_acceptance_goes_to_the_office_only(new_case):
    case = new_case(now=FILED)
    assert sweep(_at(date(2025, 3, 3)))["reminders"] == 1
    assert sweep(_at(date(2025, 3, 3), hour=8))["reminders"] == 0
    reminders = _messages("reminder")
    assert [m.audience for m in reminders] == ["office"] and case.number in reminders[0].body


def test_no_rating_within_seven_days_closes_as_basically_satisfied(assigned, make):
    ops.reply(assigned, make.user("handler"), "答复", now=_at(date(2025, 3, 10)))
    assert assigned.rating_due_on == date(2025, 3, 17)
    assert sweep(_at(date(2025, 3, 17)))["closed"] == 0
    assert sweep(_at(date(2025, 3, 18)))["closed"] == 1
    assert (assigned.status, assigned.rating) == ("closed", "basic")
    assert assigned.events[-1].actor_label == "系统" and "7日内未评价" in assigned.events[-1].note
    assert sweep(_at(date(2025, 3, 25)))["closed"] == 0


def test_unit_notices_never_carry_the_complainants_identity(assigned, make):
    ops.reply(assigned, make.user("handler"), "答复", now=_at(date(2025, 3, 10)))
    ops.rate(assigned, "dissatisfied", now=_at(date(2025, 3, 11)))
    sweep(_at(date(2025, 3, 31)))
    sweep(_at(date(2025, 4, 3)))
    bodies = [m.body for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.audience == "unit"))]
    assert {"assigned", "reopened", "reminder", "overdue"} <= {
        m.topic for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.audience == "unit"))}
    assert all("郑" not in body and "1356" not in body and "6667777" not in body for body in bodies)


class RecordingBackend:
    sent = []

    def send(self, message):
        RecordingBackend.sent.append(message.body)


class FailingBackend:
    def send(self, message):
        raise ConnectionError("SMS gateway down")


def test_outbox_goes_through_the_configured_back_end(app, assigned, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_BACKEND", f"{__name__}.RecordingBackend")
    RecordingBackend.sent.clear()
    counts = sweep(_at(date(2025, 3, 4)))
    assert counts["sent"] == len(RecordingBackend.sent) >= 3
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))) == 0


def test_failed_sending_is_kept_for_the_next_run(app, assigned, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_BACKEND", f"{__name__}.FailingBackend")
    assert sweep(_at(date(2025, 3, 4)))["sent"] == 0
    message = db.session.scalars(sa.select(OutboxMessage)).first()
    assert message.sent_at is None and message.attempts == 1 and "gateway down" in message.last_error
    monkeypatch.setitem(app.config, "NOTIFY_BACKEND", "complaints.notify.LoggingBackend")
    counts = sweep(_at(date(2025, 3, 4)))
    assert counts["sent"] == 0 and counts["logged"] >= 1  # the log back end records, it does not send
    assert message.status == "logged" and message.attempts == 2 and message.sent_at is not None


def test_admin_revokes_a_deduction_only_with_a_reason(client, assigned, login):
    sweep(_at(date(2025, 3, 27)))
    deduction = db.session.scalars(sa.select(Deduction)).one()
    db.session.commit()
    admin = login("admin")
    page = client.get("/admin/cases/deductions?year=2025").data.decode()
    assert assigned.number in page
    response = client.post(f"/admin/cases/deductions/{deduction.id}/revoke",
                           data={"csrf_token": csrf_from(page), "reason": "  "})
    assert response.status_code == 400 and "书面理由" in response.data.decode()
    response = client.post(f"/admin/cases/deductions/{deduction.id}/revoke",
                           data={"csrf_token": csrf_from(page), "reason": "系统故障导致逾期，经核实免责"})
    assert response.status_code == 302
    db.session.refresh(deduction)
    assert deduction.revoked_by_id == admin.id and deduction.revoke_reason == "系统故障导致逾期，经核实免责"
    row = deductions_for_year(2025)[0]
    assert row["revoked"] and row["points"] == 2.0 and row["revoke_reason"] == deduction.revoke_reason
    assert "系统故障导致逾期" in client.get("/admin/cases/deductions?year=2025").data.decode()


def test_statistician_reads_but_cannot_revoke(client, assigned, login):
    sweep(_at(date(2025, 3, 27)))
    deduction = db.session.scalars(sa.select(Deduction)).one()
    db.session.commit()
    login("statistician")
    page = client.get("/admin/cases/deductions?year=2025")
    assert page.status_code == 200 and "撤销扣分" not in page.data.decode()
    token = csrf_from(client.get("/auth/password").data)
    assert client.post(f"/admin/cases/deductions/{deduction.id}/revoke",
                       data={"csrf_token": token, "reason": "x"}).status_code == 403


def test_sweep_command_runs_at_a_given_time(runner, assigned):
    result = runner.invoke(args=["cases", "sweep", "--now", "2025-03-25T10:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "扣分 1" in result.output and "冲突留待下次 0" in result.output
    result = runner.invoke(args=["cases", "sweep", "--now", "2025-03-26T10:00:00+08:00"])
    assert "扣分 0" in result.output
    assert runner.invoke(args=["cases", "sweep", "--now", "yesterday"]).exit_code != 0


def test_load_holidays_command(runner, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-01-01 休 元旦\n2027-02-14 班 春节调休\n", encoding="utf-8")
    result = runner.invoke(args=["cases", "load-holidays", "2027", str(notice)])
    assert result.exit_code == 0 and "已载入2027年" in result.output
    notice.write_text("2028-01-01 休 元旦\n", encoding="utf-8")
    result = runner.invoke(args=["cases", "load-holidays", "2027", str(notice)])
    assert result.exit_code != 0 and "2027年内" in result.output


def test_transfer_after_a_missed_deadline_charges_the_unit_that_missed_it(assigned, unit, make):
    """A misses 24 March, is transferred on the 26th before any sweep: A pays, B gets a fresh deadline."""
    successor = make.unit()
    ops.transfer(assigned, make.user("handler"), successor, "属其职责", now=_at(date(2025, 3, 26)))
    deduction = db.session.scalars(sa.select(Deduction)).one()
    assert (deduction.unit_id, deduction.due_on, deduction.stage) == (unit.id, date(2025, 3, 24), "reply")
    assert assigned.assigned_unit_id == successor.id and assigned.reply_due_on == date(2025, 4, 17)
    assert sweep(_at(date(2025, 3, 27)))["deductions"] == 0  # B is not late
    assert [m.unit_id for m in _messages("overdue")] == [unit.id]
    actions = [e.action for e in assigned.events]
    assert actions.index("overdue") < actions.index("transfer")
    assert sweep(_at(date(2025, 4, 18)))["deductions"] == 1  # B missed its own deadline: charged once too
    assert sorted(db.session.scalars(sa.select(Deduction.unit_id))) == sorted([unit.id, successor.id])


def test_transfer_in_time_charges_nobody_and_restarts_the_clock(assigned, make):
    successor = make.unit()
    ops.transfer(assigned, make.user("handler"), successor, "属其职责", now=_at(date(2025, 3, 10)))
    assert assigned.reply_due_on == date(2025, 3, 31) and assigned.reply_started_on == date(2025, 3, 10)
    assert db.session.scalar(sa.select(sa.func.count(Deduction.id))) == 0


def test_a_case_changed_meanwhile_is_skipped_and_the_sweep_goes_on(assigned, new_case, make):
    """The citizen rates at the moment the sweep closes the case for want of a rating: the sweep
    counts the conflict, leaves that case and still handles the others."""
    ops.reply(assigned, make.user("handler"), "答复", now=_at(date(2025, 3, 10)))
    late = new_case(now=FILED)
    db.session.execute(sa.update(Case).where(Case.id == assigned.id).values(version=Case.version + 1)
                       .execution_options(synchronize_session=False))  # another request's claim
    counts = sweep(_at(date(2025, 3, 20)))
    assert counts["conflicts"] == 1 and counts["closed"] == 0
    assert db.session.scalar(sa.select(Case.status).where(Case.id == assigned.id)) == "replied"
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.case_id == late.id, OutboxMessage.topic == "office_overdue")) == 1
    db.session.expire_all()
    assert sweep(_at(date(2025, 3, 21)))["closed"] == 1  # the next run finds it as it now is


def test_sweep_recounts_provisional_deadlines_once_the_package_knows_the_year(new_case, monkeypatch):
    case = new_case(now=datetime(2026, 12, 24, 2, 0))
    assert case.deadlines_provisional and case.reply_due_on == date(2027, 1, 18)  # 元旦 already skipped
    assert sweep(datetime(2026, 12, 24, 3, 0))["recomputed"] == 0  # the package still does not know 2027
    # A package upgrade: chinese_calendar now knows 2027, with 1 January off and Saturday 9 January worked.
    monkeypatch.setattr(deadlines, "package_knows", lambda year: True)
    original = deadlines.chinese_calendar.is_workday
    monkeypatch.setattr(deadlines.chinese_calendar, "is_workday", lambda day: (
        day == date(2027, 1, 9) or (day != date(2027, 1, 1) and day.weekday() < 5)) if day.year == 2027
        else original(day))
    assert sweep(datetime(2026, 12, 24, 4, 0))["recomputed"] == 1
    assert not case.deadlines_provisional and case.reply_due_on == date(2027, 1, 15)
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.action == "recompute")).one()
    assert event.actor_label == "系统" and "2027-01-18 → 2027-01-15" in event.note
    assert sweep(datetime(2026, 12, 24, 5, 0))["recomputed"] == 0
