"""Case events: the one place a CaseEvent row is written, and only for a move the table allows.

Every status change (operations._act) and every fact recorded without a move
(overdue, recompute) passes through `record`, which asks workflow.next_status
first; the database keeps the rows append-only (see models).
"""
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from complaints import receivers, workflow
from complaints.models import CaseEvent


def actor_label(user, anonymous="市民"):
    """How the log names who acted: the staff member, or `anonymous` (the citizen, the system)."""
    return (user.display_name or user.username) if user else anonymous


def record(case, action, from_status, to_status, *, actor=None, note="", now=None, label=None):
    """Write the event for `action` moving `case` from `from_status` to `to_status`.

    Raises workflow.TransitionRefused if the table does not lead there.
    """
    if workflow.next_status(action, from_status) != to_status:
        raise workflow.TransitionRefused(action, from_status)
    event = CaseEvent(case_id=case.id, action=action, from_status=from_status, to_status=to_status,
                      actor_id=actor.id if actor else None, actor_label=label or actor_label(actor),
                      note=(note or "").strip(), created_at=now or utcnow())
    db.session.add(event)
    receivers.tell(case, action, to_status, actor, now)
    return event


def record_fact(case, action, **details):
    """An event that records a fact without moving the case (the table lists where it may happen)."""
    return record(case, action, case.status, case.status, **details)
