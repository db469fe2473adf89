"""Random sequences of actions against the workflow: the table holds, deadlines exist, the log replays."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from app.kernel.extensions import db
from complaints import events, operations as ops, workflow
from complaints.models import Case, CaseEvent, Deduction
from complaints.sweep import sweep

# Events written by the system or at creation do not claim the case (no version bump).
UNCLAIMED = ("create", "overdue", "recompute")


# The process as the office describes it, written out by hand (not read from complaints.workflow):
# 登记 → 待受理; 受理 or 不予受理; 交办; 答复; the citizen's 评价 closes it or sends it to 复查, after which
# it is answered again.
EXPECTED_MOVES = {
    ("create", None): "received",
    ("accept", "received"): "accepted",
    ("decline", "received"): "declined",
    ("assign", "accepted"): "assigned",
    ("reply", "assigned"): "replied",
    ("reply", "reopened"): "replied",
    ("close", "replied"): "closed",
    ("reopen", "replied"): "reopened",
}
OPEN = ("received", "accepted", "assigned", "replied", "reopened")
IN_HAND = ("accepted", "assigned", "reopened")  # a handler or unit is working on it
AT_UNIT = ("assigned", "reopened")              # the unit owes its reply
# Facts that never move a case, and where they may be recorded.
EXPECTED_FACTS = {
    "transfer": AT_UNIT, "unit_reply": AT_UNIT, "overdue": AT_UNIT,
    "request_extension": IN_HAND, "approve_extension": IN_HAND, "refuse_extension": IN_HAND,
    "release_identity": OPEN, "recompute": OPEN,
    "one_time_notice": ("received", *IN_HAND),  # told while the case is handled, never after the reply
}
ALL_STATUSES = (None, "received", "accepted", "declined", "assigned", "replied", "reopened", "closed")


@pytest.mark.parametrize("action", sorted({a for a, _ in EXPECTED_MOVES} | set(EXPECTED_FACTS)))
def test_table_allows_exactly_the_expected_moves(action):
    for status in ALL_STATUSES:
        expected = EXPECTED_MOVES.get((action, status))
        if expected is None and status in EXPECTED_FACTS.get(action, ()):
            expected = status
        if expected is None:
            with pytest.raises(workflow.TransitionRefused):
                workflow.next_status(action, status)
        else:
            assert workflow.next_status(action, status) == expected, (action, status)


def test_the_table_has_no_action_beyond_the_expected_ones():
    listed = {action for action, _ in workflow.TRANSITIONS} | set(workflow.EVENTS)
    assert listed == {a for a, _ in EXPECTED_MOVES} | set(EXPECTED_FACTS)
    assert set(workflow.STATUSES) == set(ALL_STATUSES) - {None}


def test_every_event_row_is_checked_against_the_table(new_case):
    """The one event-writing helper refuses what the table does not list, system events included."""
    case = new_case()
    for action in ("overdue", "transfer", "unit_reply"):
        with pytest.raises(workflow.TransitionRefused):
            events.record_fact(case, action, label="系统")
    with pytest.raises(workflow.TransitionRefused):
        events.record(case, "close", "received", "closed")
    assert events.record_fact(case, "recompute", label="系统").to_status == "received"


def test_queue_order_uses_the_same_deadline_as_the_case_page(new_case, make):
    """queue_order (SQL) and Case.current_due_on (Python) both come from the stage table."""
    handler = make.user("handler")
    cases = [new_case() for _ in range(5)]
    ops.accept(cases[1], handler)
    for case in cases[2:]:
        ops.accept(case, handler)
        ops.assign(case, handler, case.unit)
    for case in cases[3:]:
        ops.reply(case, handler, "答复")
    ops.rate(cases[4], "dissatisfied")
    due = ops.queue_order()[1]
    rows = dict(db.session.execute(sa.select(Case.id, due).where(Case.id.in_([c.id for c in cases]))).all())
    assert {c.status for c in cases} == {"received", "accepted", "assigned", "replied", "reopened"}
    assert all(rows[c.id] == c.current_due_on for c in cases)


def test_replay_rejects_a_broken_chain():
    assert workflow.replay([("create", None, "received"), ("accept", "received", "accepted")]) == "accepted"
    with pytest.raises(ValueError):
        workflow.replay([("create", None, "received"), ("assign", "received", "assigned")])
    with pytest.raises(ValueError):
        workflow.replay([("create", None, "received"), ("accept", "accepted", "assigned")])


def test_random_action_sequences_keep_the_workflow_sound(make):
    unit_a, unit_b = make.unit(), make.unit()
    handler, admin = make.user("handler"), make.user("admin")
    liaisons = [make.user("liaison", unit=unit_a), make.user("liaison", unit=unit_b)]
    units = [unit_a, unit_b]

    class Workflow(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.example = db.session.begin_nested()  # each example starts from the same database
            self.now = datetime(2025, 12, 15, 2, 0)
            self.case_ids = []

        def teardown(self):
            if hasattr(self, "example"):
                self.example.rollback()

        def _case(self, index):
            return db.session.get(Case, self.case_ids[index % len(self.case_ids)])

        def _try(self, index, do, stale=False):
            """Run one action as a request would: all of it, or nothing (a savepoint)."""
            if not self.case_ids:
                return
            case = self._case(index)
            before = (case.status, case.version, len(case.events))
            version = case.version - 1 if stale else case.version
            try:
                with db.session.begin_nested():
                    do(case, version)
            except ops.CaseError:
                db.session.expire_all()
                case = db.session.get(Case, case.id)
                assert (case.status, case.version, len(case.events)) == before, "a refused action left a trace"
                return
            assert not stale, "an action on a stale version must be refused"

        @rule(kind=st.sampled_from(["complaint", "inquiry", "report", "suggestion", "callback"]),
              anonymous=st.booleans())
        def create(self, kind, anonymous):
            if len(self.case_ids) >= 4:
                return
            case, _ = ops.create_case(kind=kind, unit=unit_a, description="随机", anonymous=anonymous,
                                      name=None if anonymous else "王五",
                                      phone=None if anonymous else "13700000000", now=self.now)
            self.case_ids.append(case.id)

        @rule(days=st.integers(0, 12))
        def advance(self, days):
            self.now += timedelta(days=days, hours=3)

        @rule()
        def run_sweep(self):
            with db.session.begin_nested():
                sweep(self.now)

        @rule(index=st.integers(0, 3), rating=st.sampled_from(["satisfied", "basic", "dissatisfied"]))
        def progress(self, index, rating):
            """The usual next step for the case, so that random runs also reach the deep states."""
            if not self.case_ids:
                return
            steps = {
                "received": lambda c, v: ops.accept(c, handler, "", v, self.now),
                "accepted": lambda c, v: ops.assign(c, handler, unit_a, "", v, self.now),
                "assigned": lambda c, v: (ops.unit_reply(c, liaisons[0], "已办", v, self.now)
                                          if c.unit_replied_at is None and c.assigned_unit_id == unit_a.id
                                          else ops.reply(c, handler, "答复", v, self.now)),
                "reopened": lambda c, v: ops.reply(c, handler, "复查答复", v, self.now),
                "replied": lambda c, v: ops.rate(c, rating, None, "", v, self.now),
            }
            step = steps.get(self._case(index).status)
            if step:
                self._try(index, step)

        @rule(index=st.integers(0, 3), stale=st.booleans())
        def accept(self, index, stale):
            self._try(index, lambda c, v: ops.accept(c, handler, "", v, self.now), stale)

        @rule(index=st.integers(0, 3), reason=st.sampled_from(["", "不属于效能投诉受理范围"]))
        def decline(self, index, reason):
            self._try(index, lambda c, v: ops.decline(c, handler, reason, v, self.now))

        @rule(index=st.integers(0, 3), which=st.integers(0, 1))
        def assign(self, index, which):
            self._try(index, lambda c, v: ops.assign(c, handler, units[which], "", v, self.now))

        @rule(index=st.integers(0, 3), which=st.integers(0, 1))
        def transfer(self, index, which):
            self._try(index, lambda c, v: ops.transfer(c, handler, units[which], "职责调整", v, self.now))

        @rule(index=st.integers(0, 3), which=st.integers(0, 1))
        def unit_reply(self, index, which):
            self._try(index, lambda c, v: ops.unit_reply(c, liaisons[which], "已整改", v, self.now))

        @rule(index=st.integers(0, 3), text=st.sampled_from(["", "经核实，已整改。"]))
        def reply(self, index, text):
            self._try(index, lambda c, v: ops.reply(c, handler, text, v, self.now))

        @rule(index=st.integers(0, 3), rating=st.sampled_from(["satisfied", "basic", "dissatisfied", "bogus"]),
              by_handler=st.booleans())
        def rate(self, index, rating, by_handler):
            actor = handler if by_handler else None
            self._try(index, lambda c, v: ops.rate(c, rating, actor, "回访", v, self.now))

        @rule(index=st.integers(0, 3), days=st.integers(0, 20))
        def request_extension(self, index, days):
            self._try(index, lambda c, v: ops.request_extension(c, handler, days, "情况复杂", v, self.now))

        @rule(index=st.integers(0, 3), approve=st.booleans())
        def decide_extension(self, index, approve):
            self._try(index, lambda c, v: ops.decide_extension(c, admin, approve, "", v, self.now))

        @rule(index=st.integers(0, 3))
        def release(self, index):
            self._try(index, lambda c, v: ops.release_identity(c, handler, "需当面核实", v, self.now))

        @invariant()
        def every_case_is_sound(self):
            for case_id in getattr(self, "case_ids", []):
                case = db.session.get(Case, case_id)
                assert case.status in workflow.STATUSES
                if case.is_open:
                    assert case.current_due_on is not None, f"open case in {case.status} without a deadline"
                events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)
                                            .order_by(CaseEvent.id)).all()
                assert workflow.replay([(e.action, e.from_status, e.to_status) for e in events]) == case.status
                claimed = sum(e.action not in UNCLAIMED for e in events)
                assert case.version == 1 + claimed
                charged = db.session.execute(sa.select(Deduction.stage, Deduction.unit_id)
                                             .where(Deduction.case_id == case_id)).all()
                assert len(charged) == len(set(charged)) and {stage for stage, _ in charged} <= {"reply", "review"}
                if case.status == "declined":
                    assert case.decline_reason

    run_state_machine_as_test(Workflow, settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
