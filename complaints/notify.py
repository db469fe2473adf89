"""Notifications: written to the outbox table with their text; a pluggable back end sends them.

The back end is a dotted path in config NOTIFY_BACKEND (default: the logging
back end below, which only records; complaints.sms.GatewayBackend really sends).
Its send(message) returns "logged", or ("sent", the gateway's reference), or raises;
each message keeps its DeliveryStatus. Notices to a unit are built only from the case number, kind
and dates, so a complainant's identity can never reach the unit complained about.
A callback case's first notice carries its query code (the citizen saw no
receipt); the code is masked wherever a notice is shown or logged here.
"""
import logging
import re

import sqlalchemy as sa
from flask import current_app
from werkzeug.utils import import_string

from app.kernel.extensions import db
from app.kernel.links import public_url
from app.kernel.clock import chinese_date, utcnow
from app.kernel.privacy import mask_phone
from app.kernel.refusals import Refusal
from complaints.models import DeliveryStatus, OutboxMessage

log = logging.getLogger(__name__)


class NotifyError(Refusal):
    """An outbox action that does not fit the message's state."""

TEMPLATES = {
    "received": "【效能投诉】您的{kind}已收到，编号{number}，将于{accept_due}前决定是否受理。",
    "accepted": "【效能投诉】您的{kind}（编号{number}）已受理，预计{reply_due}前答复。",
    "declined": "【效能投诉】您的{kind}（编号{number}）不予受理，理由：{reason}",
    "callback": "【效能办】感谢您参与测评。您的差评回访件编号{number}，查询码{code}，我们将于{accept_due}前与您联系；"
                "凭编号和查询码可在 {link} 查询办理进度并评价。",
    "one_time_notice": "【一次性告知】编号{number}：办理该事项还需提供以下材料：{items}",
    "replied": "【效能投诉】您的{kind}（编号{number}）已答复，请凭编号和查询码查看答复并评价。",
    "assigned": "【效能办交办】{kind}件{number}已交由贵单位办理，请于{reply_due}前答复。",
    "transferred": "【效能办转办】{kind}件{number}已转由贵单位办理，请于{reply_due}前答复。",
    "reopened": "【效能办】{kind}件{number}投诉人不满意，请复查并于{reply_due}前重新答复。",
    "reminder": "【效能办提醒】{kind}件{number}的{stage}期限为{due}，即将到期，请抓紧办理。",
    "overdue": "【效能办催办】{kind}件{number}的{stage}期限{due}已过，已记超期扣分{points}分。",
    "office_overdue": "【效能办】{kind}件{number}的{stage}期限{due}已过，请尽快处理。",
}


_CODE = re.compile(r"查询码[A-Z0-9]+")


def shown_body(message):
    """The notice's text with any query code masked: for the outbox page and the log."""
    return _CODE.sub("查询码********", message.body)


def lookup_link():
    """Where a citizen looks a case up, as the public reaches it; a plain name if that is unknown."""
    return public_url("cases.lookup") or "效能投诉查询页面"


def _case_facts(case):
    return {"kind": case.kind_label, "number": case.number, "accept_due": chinese_date(case.accept_due_on),
            "reply_due": chinese_date(case.reply_due_on)}


def notice_items_text(items):
    """The materials of a 一次性告知 as one line of a text message."""
    return "；".join(f"{i}. {item.material}（依据：{item.basis}）" for i, item in enumerate(items, 1))


def to_citizen(case, topic, now=None, **facts):
    """Queue a notice to the citizen, written at `now`; anonymous citizens (no phone) get nothing."""
    if not case.citizen_phone:
        return None
    return _queue(case, "citizen", topic, phone=case.citizen_phone, now=now, **facts)


def to_unit(case, unit_id, topic, dedupe_key=None, **facts):
    return _queue(case, "unit", topic, unit_id=unit_id, dedupe_key=dedupe_key, **facts)


def to_unit_text(unit_id, text, dedupe_key):
    """Queue a notice to a unit about no case (another domain's decision, e.g. on an appeal), once per key."""
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(audience="unit", topic="notice", body=text, unit_id=unit_id, dedupe_key=dedupe_key,
                            created_at=utcnow())
    db.session.add(message)
    return message


def to_office(case, topic, dedupe_key=None, **facts):
    return _queue(case, "office", topic, dedupe_key=dedupe_key, **facts)


def _queue(case, audience, topic, phone=None, unit_id=None, dedupe_key=None, now=None, **facts):
    if dedupe_key and db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    body = TEMPLATES[topic].format(**{**_case_facts(case), **facts})
    message = OutboxMessage(case_id=case.id, audience=audience, topic=topic, body=body, phone=phone,
                            unit_id=unit_id, dedupe_key=dedupe_key, created_at=now or utcnow())
    db.session.add(message)
    return message


class LoggingBackend:
    """Writes each notice to the application log instead of sending it: the outbox says 已记录, not 已发送."""

    def send(self, message):
        target = {"citizen": f"手机 {mask_phone(message.phone)}", "unit": f"单位 {message.unit_id}",
                  "office": "效能办"}[message.audience]
        log.info("notice to %s: %s", target, shown_body(message))
        return DeliveryStatus.logged


def backend():
    return import_string(current_app.config["NOTIFY_BACKEND"])()


def _outcome(result, message):
    """A back end's answer as (status, reference): "logged", ("sent", reference), or None for sent."""
    if result is None:
        return DeliveryStatus.sent, str(message.id)
    status, reference = (result, "") if isinstance(result, str) else result
    return DeliveryStatus(status), reference or (str(message.id) if status != DeliveryStatus.logged else "")


def deliver_pending(limit=500, now=None):
    """Hand pending messages to the back end; a failure is tried again by the next sweep until the
    configured number of attempts, a refusal the gateway calls final is not. Returns counts per outcome."""
    sender, most = backend(), current_app.config["NOTIFY_MAX_ATTEMPTS"]
    stmt = (sa.select(OutboxMessage).where(OutboxMessage.status == DeliveryStatus.pending)
            .order_by(OutboxMessage.id).limit(limit))
    counts = {"sent": 0, "logged": 0, "failed": 0, "retry": 0}
    for message in db.session.scalars(stmt).all():
        message.attempts += 1
        try:
            status, reference = _outcome(sender.send(message), message)
        except Exception as error:  # noqa: BLE001 — any back-end failure is recorded, then retried or given up
            message.last_error = str(getattr(error, "message", error))[:300]
            if getattr(error, "final", False) or message.attempts >= most:
                message.status = DeliveryStatus.failed
                counts["failed"] += 1
            else:
                counts["retry"] += 1
            continue
        message.status, message.reference, message.sent_at = status, reference, now or utcnow()
        counts["logged" if status == DeliveryStatus.logged else "sent"] += 1
    db.session.flush()
    return counts


def retry(message):
    """Put a failed message back in the queue with a fresh count of attempts (the office asked)."""
    if message.status != DeliveryStatus.failed:
        raise NotifyError("只有发送失败的通知可以重新发送", status=409)
    message.status, message.attempts = DeliveryStatus.pending, 0
    db.session.flush()


def record_receipt(reference, delivered, now=None):
    """The gateway's delivery report for the message it knows as `reference`; returns the message, or
    None if no sent message has that reference (a report twice, or for another system, changes nothing)."""
    message = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.reference == reference, OutboxMessage.status == DeliveryStatus.sent))
    if message is None:
        return None
    message.status = DeliveryStatus.delivered if delivered else DeliveryStatus.undelivered
    message.reported_at = now or utcnow()
    db.session.flush()
    return message
