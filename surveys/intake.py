"""Intake limits for walk-in responses: so many per device and per address, per window and clock hour.

A device is a first-party cookie set when the questionnaire is opened; a post without one counts as a
cookieless device of its address. The counts live in `intake_counters` and are raised by a conditional
upsert in the response's own transaction: the row lock makes concurrent posts queue on PostgreSQL
(SQLite's BEGIN IMMEDIATE queues them anyway), so the limits hold under several workers and nodes,
without Redis. Counter keys are keyed hashes in a domain of their own: they match no stored client hash.
A walk-in's keys are keyed with the day's salt (surveys/salts.py), so they too cannot be recomputed once
it is deleted; a pad's (not a person's) with the instance secret.

A hall pad (surveys/kiosk/) is one device with a higher limit of its own; its address is not counted,
because the hall's network is the citizens' too and the pad would use up their phones' quota.
"""
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from surveys.models import IntakeCounter

DEVICE_COOKIE = "xn_device"
DEVICE_COOKIE_DAYS = 400
DEVICE_FULL = "您在本窗口一小时内提交的评价已达上限，请稍后再试。感谢您的参与。"
ADDRESS_FULL = "您所在的网络一小时内提交的评价已达上限，请稍后再试。感谢您的参与。"
PAD_FULL = "本评价平板一小时内收到的评价已达上限，请稍后再试，或用手机扫描窗口二维码评价。感谢您的参与。"


def device_of(cookies):
    """The device cookie's value if it is one we could have set, else None."""
    value = cookies.get(DEVICE_COOKIE, "")
    return value if 20 <= len(value) <= 40 and value.replace("-", "").replace("_", "").isalnum() else None


def remember_device(response, cookies, secure):
    """Give a browser that has none a device cookie (first-party, not readable by scripts)."""
    if device_of(cookies) is None:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(18), max_age=DEVICE_COOKIE_DAYS * 86400,
                            path="/s/", httponly=True, samesite="Lax", secure=secure)
    return response


def counter_key(key, kind, value):
    message = f"{kind}|{value}".encode()
    return hmac.new(f"intake-counter:{key}".encode(), message, hashlib.sha256).hexdigest()[:32]


def count_walk_in(window, salt, *, device, address, device_limit, address_limit):
    """Count one more response of this device and address at `window`; the message of the limit it would
    pass, or None. Flushes only: call it inside the transaction that stores the response."""
    hour = _this_hour(window)
    device_value = device or f"no-cookie|{address}"
    for kind, value, limit, message in (("device", device_value, device_limit, DEVICE_FULL),
                                        ("address", address, address_limit, ADDRESS_FULL)):
        if not _count_one(window.id, hour, kind, counter_key(salt, kind, value), limit):
            return message
    return None


def count_pad(window, secret, *, pad_id, limit):
    """Count one more response of the hall pad `pad_id` at `window`, as one device under its own `limit`;
    PAD_FULL if the limit is reached, else None. Flushes only, like count_walk_in."""
    key = counter_key(secret, "device", f"pad|{pad_id}")  # no cookie value we set contains "|"
    return None if _count_one(window.id, _this_hour(window), "device", key, limit) else PAD_FULL


def _this_hour(window):
    """The clock hour counted now; the window's counters of earlier hours are deleted."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    db.session.execute(sa.delete(IntakeCounter).where(IntakeCounter.window_id == window.id,
                                                      IntakeCounter.hour < hour))
    return hour


def _count_one(window_id, hour, kind, key, limit):
    """Raise the counter unless it has reached `limit`; whether it was raised."""
    if limit < 1:
        return False
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(IntakeCounter).values(window_id=window_id, hour=hour, kind=kind, key=key, stored=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["window_id", "hour", "kind", "key"],
        set_={"stored": IntakeCounter.stored + 1}, where=IntakeCounter.stored < limit,
    ).returning(IntakeCounter.stored)
    return db.session.execute(stmt).first() is not None
