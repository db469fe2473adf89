"""Hall pads: enrolment codes issued and typed, credentials checked and revoked, answers stored within
the pad's own intake limit. Operations flush; the request boundary commits."""
import hashlib
import secrets
import unicodedata
from datetime import timedelta

import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry.models import Unit, Window
from surveys import intake
from surveys import operations as survey_ops
from surveys.kiosk.models import Pad
from surveys.models import Group, ResponseChannel
from surveys.services import operations as services

# Letters and digits nobody misreads on a screen or mistypes on a tablet (no 0/O, 1/I/L): 12 of them
# carry about 59 bits, far beyond guessing within a code's few minutes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_WRONG = "启用码不正确，请核对后重新输入。"
CODE_USED = "该启用码已经使用过，每个启用码只能启用一台评价平板。请管理员重新生成。"
CODE_EXPIRED = "该启用码已过期或已作废，请管理员重新生成。"
PAD_REVOKED = "本评价平板已停用。如需继续使用，请管理员重新生成启用码并在本机输入。"


class PadError(survey_ops.SurveyError):
    """A refused enrolment, a revoked pad, or a code that cannot be issued."""


def _hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(raw):
    """The code as issued: full-width letters and digits folded, case ignored, spaces and dashes dropped."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(c for c in text if c not in " -\u3000")


def format_code(code):
    """The code in groups of four, as shown to the admin: ABCD-EFGH-JKMN."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def issue_code(window, name, *, minutes, actor):
    """A new pad for `window` waiting for its one-time code; returns (pad, code). The code exists only in
    this return value: the admin is shown it once. Flushes only."""
    if not window.active or not window.unit.active:
        raise PadError("该服务窗口或其单位已停用，不能为其启用评价平板。", 409)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = utcnow()
    pad = Pad(window_id=window.id, name=name.strip(), code_hash=_hash(code), created_at=now,
              code_expires_at=now + timedelta(minutes=minutes), created_by_id=actor.id if actor else None)
    db.session.add(pad)
    db.session.flush()
    audit.record("pad.issue", pad, actor=actor, details={"name": pad.name, "window": window.code})
    return pad, code


def enrol(raw_code):
    """Use a one-time code: the pad it was issued for and its new credential (for the pad's cookie only),
    or a PadError saying whether the code is wrong, used or expired. The claim is one conditional UPDATE,
    so two pads typing one code at once get one credential between them. Flushes only."""
    code = normalise_code(raw_code)
    pad = db.session.scalar(sa.select(Pad).where(Pad.code_hash == _hash(code))) if code else None
    if pad is None:
        raise PadError(CODE_WRONG)
    if pad.enrolled_at is not None:
        raise PadError(CODE_USED)
    now = utcnow()
    if pad.code_expires_at <= now or pad.revoked_at is not None:
        raise PadError(CODE_EXPIRED)
    credential = secrets.token_urlsafe(32)
    claimed = db.session.execute(
        sa.update(Pad).where(Pad.id == pad.id, Pad.enrolled_at.is_(None), Pad.revoked_at.is_(None))
        .values(credential_hash=_hash(credential), enrolled_at=now, last_seen_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise PadError(CODE_USED)
    db.session.refresh(pad)
    audit.record("pad.enrol", pad, actor=None, details={"name": pad.name, "window": pad.window.code})
    return pad, credential


def pad_of(credential):
    """The enrolled pad holding this credential, or None if it is none of ours; a revoked pad is refused
    (403)."""
    if not credential or len(credential) > 100:
        return None
    pad = db.session.scalar(sa.select(Pad).where(Pad.credential_hash == _hash(credential)))
    if pad is not None and pad.revoked_at is not None:
        raise PadError(PAD_REVOKED, 403)
    return pad


def seen(pad):
    """The pad opened its questionnaire: the admin's list shows when it was last in use."""
    pad.last_seen_at = utcnow()
    db.session.flush()


def waiting_service(pad):
    """The address of the rating page of a service that the pad's window has just registered and nobody
    has rated yet, or None. The pad asks every [kiosk] service_poll_s seconds while nobody is using it
    (/kiosk/next) and opens that page, so the citizen just served rates that very service (the newest
    unrated one registered within [services] pad_pickup_minutes, surveys/services)."""
    return services.waiting_rating(pad.window_id)


def revoke(pad, *, actor):
    """Stop a pad (its credential is refused from now on) or its unused code. Flushes only."""
    if pad.revoked_at is not None:
        raise PadError("该评价平板已经停用。", 409)
    pad.revoked_at, pad.revoked_by_id = utcnow(), actor.id if actor else None
    db.session.flush()
    audit.record("pad.revoke", pad, actor=actor, details={"name": pad.name, "window": pad.window.code})


def submit_at_pad(pad, campaign, *, secret, limit, **answers):
    """Store a response given on the pad within the pad's hourly limit, or refuse with 429 and store
    nothing (the counter and the response share one savepoint). The response keeps no client hash: the
    pad is one browser for every citizen at its window."""
    with db.session.begin_nested():
        refused = intake.count_pad(pad.window, secret, pad_id=pad.id, limit=limit)
        if refused:
            raise PadError(refused, 429)
        return survey_ops.submit_response(campaign=campaign, unit=pad.window.unit, window=pad.window,
                                          group=Group.nonfixed, channel=ResponseChannel.pad, **answers)


def pads(window=None):
    """The pads (enrolled, waiting, expired and revoked), by unit and window, newest first within one."""
    stmt = (sa.select(Pad).join(Window, Pad.window_id == Window.id).join(Unit, Window.unit_id == Unit.id)
            .order_by(Unit.category, Unit.code, Window.code, Pad.created_at.desc(), Pad.id.desc()))
    if window is not None:
        stmt = stmt.where(Pad.window_id == window.id)
    return db.session.scalars(stmt).all()
