"""Service records: registration (idempotent by 办件编号), the rating link, and the one rating.

Operations flush; the request boundary (or the command) commits.
"""
import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, url_for

from app.kernel.clock import SHANGHAI, local_today, utcnow
from app.kernel.extensions import db
from app.kernel.links import public_url
from app.kernel.privacy import normalise_phone
from app.kernel.refusals import Refusal
from app.kernel.scheme import current_scheme
from app.registry.models import Window
from surveys import operations as survey_ops
from surveys.models import Group, ResponseChannel
from surveys.services.models import ServiceRecord

# A business system's clock may run a little ahead of ours: a finish time this far in the future is
# taken as now, anything later is refused.
CLOCK_SKEW = timedelta(minutes=5)
WAITING, RATED, EXPIRED = "waiting", "rated", "expired"
STATUS_LABELS = {WAITING: "待评价", RATED: "已评价", EXPIRED: "已过期"}
NOT_FOUND = "评价链接无效，请核对二维码或链接。"


class ServiceError(Refusal):
    """A registration or rating refused; `errors` may name fields ({field: [messages]})."""

    def __init__(self, message, status=None, fields=None):
        super().__init__(message, status)
        self.fields = fields or {}


class AlreadyRated(Refusal):
    """The service was rated before: nothing more is stored."""

    status = 409

    def __init__(self):
        super().__init__("本次服务已经评价过，每件办件只能评价一次。感谢您的参与。")


def _settings():
    return current_scheme()["services"]


def parse_finished_at(text, now=None):
    """A finish time in ISO 8601 (with an offset, or Beijing wall-clock time without one) as naive UTC;
    ServiceError for text that is not a time or lies in the future."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise ServiceError("办结时间格式有误，应为 ISO 8601，如 2026-03-02T10:15:00+08:00。",
                           fields={"finished_at": ["格式有误"]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if moment > (now or utcnow()) + CLOCK_SKEW:
        raise ServiceError("办结时间不能晚于当前时间。", fields={"finished_at": ["不能晚于当前时间"]})
    return moment


def rating_token(record):
    """The rating link's token: a keyed hash of the record's public id (the same whenever it is asked for,
    so the staff page and the system can show the QR code again; only its hash is stored)."""
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"service-rating", hashlib.sha256).digest()
    digest = hmac.new(key, record.public_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def register(*, window, matter_code, matter_name, case_number, officer_number, finished_at, phone=None,
             consent=False, api_key=None, staff=None):
    """Register a finished service at `window`; returns (record, created).

    The same 办件编号 of the same unit registered again with the same details returns the first record
    (a system retrying its call); with other details it is refused (409). The mobile number is kept only
    with `consent` to a callback.
    """
    fields = {"window_id": window.id, "matter_code": matter_code, "matter_name": matter_name,
              "officer_number": officer_number, "finished_at": finished_at}
    existing = _registered(window.unit_id, case_number)
    if existing is not None:
        return _same_or_refuse(existing, fields), False
    erase_expired_phones(window.unit_id)
    now = utcnow()
    record = ServiceRecord(public_id=uuid.uuid4().hex, unit_id=window.unit_id, case_number=case_number,
                           created_at=now, expires_at=now + timedelta(days=_settings()["rating_link_days"]),
                           callback_phone=normalise_phone(phone) if consent else None,
                           api_key_id=api_key.id if api_key is not None else None,
                           registered_by_id=staff.id if staff is not None else None, **fields)
    record.token_hash = token_hash(rating_token(record))
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except sa.exc.IntegrityError:  # the same call, twice at once: the first one stored it
        existing = _registered(window.unit_id, case_number)
        if existing is None:
            raise
        return _same_or_refuse(existing, fields), False
    return record, True


def _registered(unit_id, case_number):
    return db.session.scalar(sa.select(ServiceRecord).where(ServiceRecord.unit_id == unit_id,
                                                            ServiceRecord.case_number == case_number))


def _same_or_refuse(record, fields):
    if any(getattr(record, name) != value for name, value in fields.items()):
        raise ServiceError(f"办件编号 {record.case_number} 已登记为另一件办件（窗口、事项、工号或办结时间不同）。",
                           409, fields={"case_number": ["已登记"]})
    return record


def window_of(unit, code):
    """The unit's open window with this code; ServiceError naming the field otherwise."""
    window = db.session.scalar(sa.select(Window).where(Window.code == code))
    if window is None or window.unit_id != unit.id or not window.active:
        raise ServiceError("该服务窗口不存在、已停用或不属于本单位。", fields={"window_code": ["不是本单位的服务窗口"]})
    return window


def status(record, now=None):
    if record.response_id is not None:
        return RATED
    return EXPIRED if (now or utcnow()) >= record.expires_at else WAITING


def links(record):
    """The rating page and its QR code (SVG, PNG) as the public reaches them (XN_PUBLIC_BASE_URL)."""
    token = rating_token(record)
    return {"rating_url": public_url("services.rate", token=token),
            "qr_svg_url": public_url("services.rating_qr", token=token, fmt="svg"),
            "qr_png_url": public_url("services.rating_qr", token=token, fmt="png")}


def by_token(token):
    record = db.session.scalar(sa.select(ServiceRecord).where(ServiceRecord.token_hash == token_hash(token or "")))
    if record is None:
        raise ServiceError(NOT_FOUND, 404)
    return record


def by_public_id(public_id, unit=None):
    """The record with this id, of `unit` when one is given (another unit's is not found)."""
    stmt = sa.select(ServiceRecord).where(ServiceRecord.public_id == (public_id or "")[:32])
    record = db.session.scalar(stmt if unit is None else stmt.where(ServiceRecord.unit_id == unit.id))
    if record is None:
        raise ServiceError("未找到该办件。", 404)
    return record


def check_rateable(record):
    """Refuse a rated (409) or expired (410) record, or a closed campaign (403); returns the campaign."""
    state = status(record)
    if state == RATED:
        raise AlreadyRated()
    if state == EXPIRED:
        raise ServiceError("该评价链接已过期，感谢您的关注。", 410)
    campaign = survey_ops.current_campaign(local_today())
    survey_ops.check_open(campaign, local_today())
    return campaign


def rate(record, *, levels, comment, duration_s, ticket_hash):
    """Store the service's one rating; AlreadyRated if another post got there first.

    The response and the claim share one savepoint: the claim is a conditional UPDATE that only the first
    post can win (the others wait on the row lock and then find it taken), and a loser's response goes
    with its savepoint. A 差评 with the citizen's consent then announces a callback request, as a walk-in's
    does, carrying the phone but no answer, 事项 or 办件编号; the phone is erased from the record.
    """
    campaign = check_rateable(record)
    questionnaire = campaign.questionnaire_for(Group.nonfixed)
    phone = record.callback_phone
    with db.session.begin_nested():
        response = survey_ops.submit_response(
            campaign=campaign, unit=record.unit, window=record.window, group=Group.nonfixed,
            channel=ResponseChannel.service, questionnaire=questionnaire, levels=levels, comment=comment,
            duration_s=duration_s, ticket_hash=ticket_hash)
        claimed = db.session.execute(
            sa.update(ServiceRecord).where(ServiceRecord.id == record.id, ServiceRecord.response_id.is_(None))
            .values(response_id=response.id, callback_phone=None).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise AlreadyRated()
    db.session.expire(record, ["response_id", "callback_phone"])
    if phone:
        survey_ops.request_callback(record.unit_id, questionnaire, levels, phone,
                                    current_scheme()["survey"]["bad_levels"])
    return response


def erase_expired_phones(unit_id=None, now=None):
    """Erase the mobile numbers of unrated records whose link has expired; returns how many."""
    stmt = (sa.update(ServiceRecord).where(ServiceRecord.callback_phone.is_not(None),
                                           ServiceRecord.expires_at <= (now or utcnow()))
            .values(callback_phone=None).execution_options(synchronize_session=False))
    if unit_id is not None:
        stmt = stmt.where(ServiceRecord.unit_id == unit_id)
    return db.session.execute(stmt).rowcount


def recent_records(unit, limit=200):
    """The unit's latest registered services (newest first) for the staff list; no rating shown."""
    return db.session.scalars(sa.select(ServiceRecord).where(ServiceRecord.unit_id == unit.id)
                              .order_by(ServiceRecord.created_at.desc(), ServiceRecord.id.desc()).limit(limit)).all()


def waiting_rating(window_id, now=None):
    """The rating page (a path) of the newest unrated service registered at this window within the scheme's
    [services] pad_pickup_minutes, or None: what the window's hall pad opens for the citizen just served."""
    now = now or utcnow()
    since = now - timedelta(minutes=_settings()["pad_pickup_minutes"])
    record = db.session.scalar(
        sa.select(ServiceRecord).where(ServiceRecord.window_id == window_id, ServiceRecord.response_id.is_(None),
                                       ServiceRecord.created_at >= since, ServiceRecord.expires_at > now)
        .order_by(ServiceRecord.created_at.desc(), ServiceRecord.id.desc()).limit(1))
    return url_for("services.rate", token=rating_token(record)) if record is not None else None
