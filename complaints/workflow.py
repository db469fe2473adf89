"""The case status machine: one explicit transition table, nothing else moves a case.

Pure code (no Flask, no database) so that the table can be read, tested and
replayed on its own.
"""
import enum

from app.kernel.refusals import Refusal


class CaseStatus(enum.StrEnum):
    received = "received"
    accepted = "accepted"
    declined = "declined"
    assigned = "assigned"
    replied = "replied"
    reopened = "reopened"
    closed = "closed"


S = CaseStatus
STATUSES = tuple(CaseStatus)

STATUS_LABELS = {
    S.received: "已接收，待受理",
    S.accepted: "已受理",
    S.declined: "不予受理",
    S.assigned: "已交办",
    S.replied: "已答复，待评价",
    S.reopened: "复查中",
    S.closed: "已办结",
}

# What a citizen reads: no internal steps (交办, 复查), only where the matter stands for them.
CITIZEN_STATUS_LABELS = {
    S.received: "已收到，等待受理",
    S.accepted: "已受理，正在办理",
    S.declined: "不予受理",
    S.assigned: "已受理，正在办理",
    S.replied: "已答复，请您评价",
    S.reopened: "正在重新办理",
    S.closed: "已办结",
}

FINAL_STATUSES = (S.declined, S.closed)
OPEN_STATUSES = tuple(status for status in STATUSES if status not in FINAL_STATUSES)

# (action, from status) -> to status. "create" is the only way in.
TRANSITIONS = {
    ("create", None): S.received,
    ("accept", S.received): S.accepted,
    ("decline", S.received): S.declined,
    ("assign", S.accepted): S.assigned,
    ("reply", S.assigned): S.replied,
    ("reply", S.reopened): S.replied,
    ("close", S.replied): S.closed,
    ("reopen", S.replied): S.reopened,
}

# Events that record a fact without moving the case, and the statuses they may happen in.
_HANDLING = (S.accepted, S.assigned, S.reopened)
EVENTS = {
    "transfer": (S.assigned, S.reopened),
    "request_extension": _HANDLING,
    "approve_extension": _HANDLING,
    "refuse_extension": _HANDLING,
    "unit_reply": (S.assigned, S.reopened),
    "release_identity": OPEN_STATUSES,
    "one_time_notice": (S.received, *_HANDLING),  # what is missing, told once, before the reply
    "overdue": (S.assigned, S.reopened),  # only a unit's reply step is charged (see deductions.py)
    "recompute": OPEN_STATUSES,
}

ACTION_LABELS = {
    "create": "登记",
    "accept": "受理",
    "decline": "不予受理",
    "assign": "交办",
    "reply": "答复",
    "close": "办结",
    "reopen": "重新办理（复查）",
    "transfer": "转办",
    "request_extension": "申请延期",
    "approve_extension": "批准延期",
    "refuse_extension": "不批准延期",
    "unit_reply": "单位答复意见",
    "release_identity": "向承办单位提供投诉人身份",
    "one_time_notice": "一次性告知",
    "overdue": "超期",
    "recompute": "重新计算期限",
}


class TransitionRefused(Refusal):
    """An action that the table does not allow from the case's current status."""

    status = 409

    def __init__(self, action, status):
        label = STATUS_LABELS.get(status, status or "无")
        super().__init__(f"该件当前状态为“{label}”，不能执行“{ACTION_LABELS.get(action, action)}”。")
        self.action, self.status = action, status


def next_status(action, status):
    """The status after `action` from `status`; raises TransitionRefused for any other move.

    The one checker: every status change and every event is asked here first.
    """
    if (action, status) in TRANSITIONS:
        return TRANSITIONS[(action, status)]
    if status in EVENTS.get(action, ()):
        return status
    raise TransitionRefused(action, status)


def allows(action, status):
    """Whether the table lets `action` happen in `status` (next_status without the exception)."""
    try:
        next_status(action, status)
    except TransitionRefused:
        return False
    return True


def replay(events):
    """Fold (action, from_status, to_status) triples into the final status.

    Raises ValueError if the log is not a chain of allowed moves: a log that
    replays is one the current status can be trusted from.
    """
    status = None
    for action, from_status, to_status in events:
        if from_status != status:
            raise ValueError(f"event {action} starts from {from_status}, case was {status}")
        if not allows(action, status) or next_status(action, status) != to_status:
            raise ValueError(f"event {action} from {status} cannot lead to {to_status}")
        status = to_status
    return status


_STAGES = {S.received: "accept", S.accepted: "reply", S.assigned: "reply", S.reopened: "review", S.replied: "rating"}


def stage(status):
    """Which time limit runs in `status`: accept, reply, review (after reopening), rating, or None."""
    return _STAGES.get(status)


def statuses_in(stage_name):
    """The statuses in which the time limit `stage_name` runs."""
    return tuple(status for status, name in _STAGES.items() if name == stage_name)


STAGE_LABELS = {"accept": "受理", "reply": "答复", "review": "复查答复", "rating": "评价"}
# A callback case (from a bad survey rating): the first step is the callback, the second the rectification.
CALLBACK_STAGE_LABELS = {**STAGE_LABELS, "accept": "回访核实", "reply": "整改", "review": "复查整改"}
