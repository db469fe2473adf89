"""Case rules and writes: intake, the workflow actions, access and identity. Flush only.

Every action checks the transition table, then claims the case with a
conditional UPDATE on its version: of two handlers acting at once, one wins
and the other gets CaseConflict (409) and stores nothing.
"""
import csv
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.audit import operations as audit
from app.kernel.refusals import Refusal
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.registry.models import Role
from app.kernel.scheme import bad_level_text, current_scheme
from complaints import deductions, events, notify, workflow
from app.kernel.clock import local_date
from complaints.holidays import apply_deadlines, work_calendar
from complaints.models import (CASE_CHANNEL_LABELS, DUE_COLUMNS, Attachment, CallbackRequest, Case, CaseKind,
                               Deduction, Extension, IdentityView, NoticeItem, Rating, RATING_LABELS)
from app.kernel.privacy import mask_name, mask_phone
from app.kernel.text import spreadsheet_safe, text_problem


class CaseError(Refusal):
    """A refused case action; `status` is the HTTP status a view should answer with."""


class CaseConflict(CaseError):
    status = 409


NOT_FOUND = "未找到该件，或编号与查询码不匹配。"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed from paper


def query_hash(code):
    return hashlib.sha256((code or "").strip().upper().encode()).hexdigest()


def _new_number(today):
    while True:
        number = f"{today:%Y%m%d}{secrets.randbelow(10**6):06d}"
        if db.session.scalar(sa.select(Case.id).where(Case.number == number)) is None:
            return number


def limits(kind):
    """(accept_days, reply_days) for a case kind, from the scheme."""
    rule = current_scheme()["cases"]["kinds"][kind]
    return rule["accept_days"], rule["reply_days"]


def _now(now):
    return now or utcnow()


def create_case(*, kind, unit, description, window=None, name=None, phone=None, anonymous=False,
                channel="web", first_receiver=None, answer_given="", notice_items=(), now=None):
    """Register a case; returns (case, query_code). The raw query code exists only in this return value."""
    now = _now(now)
    accept_days, reply_days = limits(kind)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    case = Case(
        number=_new_number(local_date(now)), query_hash=query_hash(code), kind=str(kind), channel=str(channel),
        status="received", unit_id=unit.id, window_id=window.id if window else None,
        description=description.strip(), answer_given=(answer_given or "").strip(), anonymous=anonymous,
        citizen_name=None if anonymous else (name or "").strip() or None,
        citizen_phone=None if anonymous else phone, first_receiver_id=first_receiver.id if first_receiver else None,
        accept_days=accept_days, reply_days=reply_days, received_at=now, received_on=local_date(now),
    )
    apply_deadlines(case, work_calendar())
    db.session.add(case)
    db.session.flush()
    events.record(case, "create", None, "received", actor=first_receiver, note=f"渠道：{CASE_CHANNEL_LABELS[channel]}",
                  now=now, label=None if first_receiver else ("系统" if channel == "survey" else "市民"))
    case.notice_items = [NoticeItem(position=i, material=m.strip(), basis=b.strip())
                         for i, (m, b) in enumerate(notice_items)]
    if kind == CaseKind.callback:  # the citizen never saw a receipt: the notice is the only way to follow it
        notify.to_citizen(case, "callback", code=code, link=notify.lookup_link(), now=now)
    else:
        notify.to_citizen(case, "received", now=now)
    if case.notice_items:
        notify.to_citizen(case, "one_time_notice", items=notify.notice_items_text(case.notice_items), now=now)
    db.session.flush()
    return case, code


def store_callback_request(*, unit_id, phone, items, requested_on):
    """Keep a pending callback request (from the survey's signal) for the next sweep to open.

    The case (回访核实, then 整改) is opened by `open_pending_callbacks` in random order, so that no
    timestamp ties it to the anonymous response.
    """
    request = CallbackRequest(unit_id=unit_id, phone=phone, requested_on=requested_on, items="\n".join(items))
    db.session.add(request)
    db.session.flush()
    return request


def open_pending_callbacks(now):
    """Open a callback case for every pending request, in random order, received at `now`; returns how many.

    The first notice brings the case number and query code; the time limits count from `now`.
    """
    requests = list(db.session.scalars(sa.select(CallbackRequest)).all())
    secrets.SystemRandom().shuffle(requests)  # the order of ids must not follow the order of responses
    for request in requests:
        description = (f"市民在服务对象测评中对{request.unit.name}给出差评（{bad_level_text()}），并留下手机号要求回访。"
                       f"\n评价为差评的方面：\n{request.items}")
        create_case(kind=CaseKind.callback, unit=request.unit, description=description, phone=request.phone,
                    channel="survey", now=now)
        db.session.delete(request)
    db.session.flush()
    return len(requests)


def find_case(number, code):
    """The case for a citizen's number and query code; a wrong number or code alike gives 404.

    A number or code with characters no case number has (NUL, say) is simply not found.
    """
    number, code = (number or "").strip()[:20], code or ""
    clean = text_problem(number) is None and text_problem(code) is None
    case = db.session.scalar(sa.select(Case).where(Case.number == number)) if clean else None
    expected = case.query_hash if case else query_hash("")
    if not hmac.compare_digest(expected, query_hash(code if clean else "")) or case is None:
        raise CaseError(NOT_FOUND, 404)
    return case


# --- access -------------------------------------------------------------------------------------

def visibility(user):
    """The SQL condition on Case for the cases `user` may see: a unit liaison those assigned to their
    unit and, read-only, those they received first (首问负责: they keep sight after a transfer)."""
    if user.role == Role.liaison:
        return sa.or_(Case.assigned_unit_id == user.unit_id, Case.first_receiver_id == user.id)
    return sa.true()


def visible_cases(user):
    """A statement for the cases `user` may see."""
    return sa.select(Case).where(visibility(user))


def case_for_staff(number, user):
    """The case if `user` may see it; 404 otherwise (another unit's case does not exist for them)."""
    case = None if text_problem(number) else db.session.scalar(visible_cases(user).where(Case.number == number))
    if case is None:
        raise CaseError("未找到该件。", 404)
    return case


def can_see_identity(case, user):
    """Office staff may look (logged); the unit handling the case only after a release."""
    if case.anonymous:
        return False
    if user.role in (Role.admin, Role.handler):
        return True
    return user.role == Role.liaison and case.identity_released and case.assigned_unit_id == user.unit_id


def case_records(case, user):
    """What the staff case page lists beside the case: its overdue deductions and, for the office, who saw
    the complainant's identity."""
    identity_views = db.session.scalars(sa.select(IdentityView).where(IdentityView.case_id == case.id)
                                        .order_by(IdentityView.id)).all() if user.role in (Role.admin, Role.handler) else []
    return {"deductions": db.session.scalars(sa.select(Deduction).where(Deduction.case_id == case.id)).all(),
            "identity_views": identity_views}


def attachment_of(case, attachment_id):
    """One of the case's attachments, or None (another case's attachment is None too)."""
    return db.session.scalar(sa.select(Attachment).where(Attachment.id == attachment_id,
                                                         Attachment.case_id == case.id))


def view_identity(case, user, now=None):
    """The complainant's (name, phone); every view is logged."""
    if not can_see_identity(case, user):
        raise CaseError("无权查看投诉人身份信息。", 403)
    db.session.add(IdentityView(case_id=case.id, user_id=user.id, viewed_at=_now(now)))
    db.session.flush()
    audit.record("case.identity_view", case, actor=user, details={"number": case.number})
    return case.citizen_name or "", case.citizen_phone or ""


# --- the workflow ---------------------------------------------------------------------------------

CONFLICT = "该件刚刚已由其他工作人员处理{detail}，您的操作未执行。请刷新页面查看最新情况。"


def _act(case, action, actor, note="", version=None, now=None, label=None, changes=None):
    """Check the table, claim the case at `version`, move it (with `changes`, together) and log the event."""
    if version is not None and version != case.version:
        raise CaseConflict(CONFLICT.format(detail=f"（当前状态：{case.status_label}）"))
    try:
        to_status = workflow.next_status(action, case.status)
    except workflow.TransitionRefused as error:
        raise CaseConflict(str(error)) from None
    claimed = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.version == case.version)
        .values(version=Case.version + 1).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise CaseConflict(CONFLICT.format(detail=""))
    so.attributes.set_committed_value(case, "version", case.version + 1)
    for name, value in (changes or {}).items():
        setattr(case, name, value)
    from_status, case.status = case.status, to_status
    events.record(case, action, from_status, to_status, actor=actor, note=note, now=_now(now), label=label)
    return to_status


act = _act  # for the case operations kept in modules of their own (one_time_notice.py)


def _required(text, message):
    text = (text or "").strip()
    if not text:
        raise CaseError(message)
    return text


def accept(case, actor, note="", version=None, now=None):
    now = _now(now)
    _act(case, "accept", actor, note, version, now)
    case.handler_id = actor.id
    case.first_receiver_id = case.first_receiver_id or actor.id
    case.reply_started_on = local_date(now)
    apply_deadlines(case, work_calendar())
    notify.to_citizen(case, "accepted")


def decline(case, actor, reason, version=None, now=None):
    reason = _required(reason, "请填写不予受理的理由（市民可以看到）。")
    now = _now(now)
    _act(case, "decline", actor, reason, version, now, changes={"decline_reason": reason, "closed_at": now})
    case.handler_id = actor.id
    case.first_receiver_id = case.first_receiver_id or actor.id
    notify.to_citizen(case, "declined", reason=reason)


def assign(case, actor, unit, note="", version=None, now=None):
    _act(case, "assign", actor, f"交办给 {unit.name}" + (f":{note}" if note else ""), version, now)
    case.assigned_unit_id = unit.id
    notify.to_unit(case, unit.id, "assigned")


def transfer(case, actor, unit, note, version=None, now=None):
    """Move the case to another unit, which gets a fresh reply deadline counted from today.

    A unit that already missed its deadline is charged first, so the points
    fall on the unit that missed it, not on its successor.
    """
    note = _required(note, "请填写转办理由。")
    if unit.id == case.assigned_unit_id:
        raise CaseError("该件已由该单位办理，请选择其他单位。")
    now = _now(now)
    deductions.check_overdue(case, now)
    previous = case.assigned_unit.name if case.assigned_unit else "无"
    _act(case, "transfer", actor, f"由{previous}转至{unit.name}：{note}", version, now)
    case.assigned_unit_id = unit.id
    case.unit_reply, case.unit_replied_at = "", None
    case.identity_released = False  # a release was for the unit then handling the case, not its successor
    case.reply_started_on, case.extension_days = local_date(now), 0
    apply_deadlines(case, work_calendar())
    notify.to_unit(case, unit.id, "transferred")


def unit_reply(case, actor, text, version=None, now=None):
    """The unit's answer, written by its liaison; the office then replies to the citizen."""
    text = _required(text, "请填写单位答复意见。")
    if actor.role != Role.liaison or actor.unit_id != case.assigned_unit_id:
        raise CaseError("只有承办单位的联络员可以填写单位答复意见。", 403)
    now = _now(now)
    deductions.check_overdue(case, now)
    _act(case, "unit_reply", actor, text, version, now)
    case.unit_reply, case.unit_replied_at = text, now


def reply(case, actor, text, version=None, now=None):
    """The official reply (答复) to the citizen; the rating clock starts."""
    text = _required(text, "请填写答复内容。")
    now = _now(now)
    deductions.check_overdue(case, now)
    _act(case, "reply", actor, text, version, now)
    case.reply, case.replied_at = text, now
    case.rating_due_on = local_date(now) + timedelta(days=current_scheme()["cases"]["rating_timeout_days"])
    notify.to_citizen(case, "replied")


def rate(case, rating, actor=None, note="", version=None, now=None, label=None):
    """A rating after a reply: 不满意 reopens the case once for review; anything else closes it.

    `actor` is None for the citizen (or the system's timeout), else the handler recording a callback.
    """
    if rating not in list(Rating):
        raise CaseError("请选择评价。")
    now = _now(now)
    text = f"评价：{RATING_LABELS[rating]}" + (f";{note.strip()}" if note and note.strip() else "")
    if rating == Rating.dissatisfied and case.reopen_count == 0:
        _act(case, "reopen", actor, text, version, now, label=label)
        case.reopen_count += 1
        case.reply_started_on, case.extension_days = local_date(now), 0
        case.unit_replied_at = None
        apply_deadlines(case, work_calendar())
        if case.assigned_unit_id:
            notify.to_unit(case, case.assigned_unit_id, "reopened")
        return "reopened"
    _act(case, "close", actor, text, version, now, label=label,
         changes={"rating": str(rating), "rated_at": now, "closed_at": now})
    return "closed"


def request_extension(case, actor, days, reason, version=None, now=None):
    """Ask once, before the reply deadline, for more working days; an admin decides."""
    reason = _required(reason, "请填写延期理由。")
    now = _now(now)
    maximum = current_scheme()["cases"]["extension_max_days"]
    if not 1 <= (days or 0) <= maximum:
        raise CaseError(f"延期天数须在1至{maximum}个工作日之间。")
    if case.extension is not None:
        raise CaseConflict("每件只能申请一次延期，该件已申请过。")
    if case.stage in ("reply", "review") and local_date(now) > case.reply_due_on:
        raise CaseError("已超过答复期限，不能再申请延期。", 409)
    _act(case, "request_extension", actor, f"申请延期{days}个工作日：{reason}", version, now)
    db.session.add(Extension(case_id=case.id, days=days, reason=reason, requested_by_id=actor.id, requested_at=now))
    db.session.flush()


def decide_extension(case, admin, approve, note="", version=None, now=None):
    """Approve or refuse the pending extension; returns the action done (approve_ or refuse_extension)."""
    now = _now(now)
    extension = case.extension
    if extension is None or extension.decision is not None:
        raise CaseConflict("该件没有待审批的延期申请。")
    if approve and local_date(now) > case.reply_due_on:
        raise CaseError("已超过答复期限，延期须在期限届满前批准。", 409)
    action = "approve_extension" if approve else "refuse_extension"
    _act(case, action, admin, (note or "").strip(), version, now)
    extension.decision, extension.decided_by_id, extension.decided_at = (
        "approved" if approve else "refused", admin.id, now)
    extension.decision_note = (note or "").strip()
    if approve:
        case.extension_days = extension.days
        apply_deadlines(case, work_calendar())
    return action


def release_identity(case, actor, reason, version=None, now=None):
    """Let the handling unit see the complainant's identity for this case; the reason stays on record."""
    reason = _required(reason, "请填写向承办单位提供身份信息的理由。")
    if case.anonymous:
        raise CaseError("匿名件没有身份信息。")
    if case.identity_released:
        raise CaseConflict("已向承办单位提供过身份信息。")
    _act(case, "release_identity", actor, reason, version, now)
    case.identity_released = True
    audit.record("case.identity_release", case, actor=actor, details={"number": case.number, "reason": reason})


def current_due():
    """Case.current_due_on in SQL: the deadline of the step now running, NULL once the case is finished."""
    return sa.case(*[(Case.status.in_(workflow.statuses_in(stage)), getattr(Case, column))
                     for stage, column in DUE_COLUMNS.items()], else_=None)


def queue_order():
    """Sort key in SQL: the deadline of the step now running, finished cases last."""
    due = current_due()
    return (due.is_(None), due, Case.received_at)


EXPORT_COLUMNS = ["编号", "类型", "渠道", "被反映单位", "承办单位", "状态", "接收日期", "当前期限"]


def export_csv(user):
    """The cases `user` may see as CSV text (BOM first, for Excel); identity masked for the office, absent
    for a unit."""
    office = user.role in (Role.admin, Role.handler)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS + (["姓名", "手机号"] if office else []))
    for case in db.session.scalars(visible_cases(user).order_by(*queue_order())):
        row = [case.number, case.kind_label, CASE_CHANNEL_LABELS.get(case.channel, case.channel), case.unit.name,
               case.assigned_unit.name if case.assigned_unit else "", case.status_label, case.received_on,
               case.current_due_on or ""]
        if office:
            row += [mask_name(case.citizen_name), mask_phone(case.citizen_phone)]
        writer.writerow([spreadsheet_safe(str(value)) for value in row])
    return "\ufeff" + out.getvalue()
