"""API keys of the units' business systems: issued once, stored hashed, limited to their unit and to the
scheme's rate (the shared limiter, app.kernel.ratelimit), revocable; every call recorded in the audit log.

Operations flush; the request boundary (or the command) commits.
"""
import hashlib
import math
import secrets
import time

import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel import ratelimit
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.registry.models import ApiKey

API_KEY_START = "xn_"
API_KEY_PREFIX_LENGTH = len(API_KEY_START) + 8


class ApiKeyRefused(Refusal):
    """A call refused for its key: none, unknown, revoked (401), over the limit (429) or another unit's
    data (403). `retry_after` says when a limited key may call again (seconds)."""

    status = 401
    retry_after = None


def api_key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(unit, name, actor=None):
    """Issue a key for `unit`; returns (api key, key). The key exists only in this return value: it is
    shown once, and only its hash is stored. `actor` is recorded (None: a command)."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Refusal("请填写密钥用途（如使用它的系统名称），不超过80个字。")
    if not unit.active:
        raise Refusal(f"{unit.name}已不参加考核，不能签发接口密钥。", 409)
    key = API_KEY_START + secrets.token_urlsafe(32)  # 256 random bits
    while db.session.scalar(sa.select(ApiKey.id).where(ApiKey.prefix == key[:API_KEY_PREFIX_LENGTH])):
        key = API_KEY_START + secrets.token_urlsafe(32)
    api_key = ApiKey(unit_id=unit.id, name=name, prefix=key[:API_KEY_PREFIX_LENGTH], key_hash=api_key_hash(key),
                     created_by_id=actor.id if actor is not None else None)
    db.session.add(api_key)
    db.session.flush()
    audit.record("api_key.create", api_key, actor=actor,
                 details={"prefix": api_key.prefix, "unit": unit.code, "name": name})
    return api_key, key


def revoke_api_key(api_key, actor=None):
    """Revoke a key for good; a revoked key is refused from the next call on."""
    if api_key.revoked_at is not None:
        raise Refusal(f"接口密钥 {api_key.prefix} 已于此前吊销。", 409)
    api_key.revoked_at = utcnow()
    api_key.revoked_by_id = actor.id if actor is not None else None
    db.session.flush()
    audit.record("api_key.revoke", api_key, actor=actor,
                 details={"prefix": api_key.prefix, "unit": api_key.unit.code, "name": api_key.name})


def api_key_by_prefix(prefix):
    api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == (prefix or "").strip()))
    if api_key is None:
        raise Refusal(f"没有前缀为 {prefix} 的接口密钥。", 404)
    return api_key


def api_keys():
    """Every key, valid ones first, newest first."""
    return db.session.scalars(sa.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(),
                                                         ApiKey.id.desc())).all()


def use_api_key(key, *, method, path):
    """The valid key `key`, within its rate (the scheme's [limits] api_key, counted per key by the shared
    limiter), its use recorded; else ApiKeyRefused.

    The limiter's count and the audit records outlast a refused request's rollback: a key sending bad
    requests is still limited, and every call shows in the audit log (a limited key's refusals at most as
    often as [limits] api_key_limited_log, not once a call).
    """
    api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == api_key_hash(key))) if key else None
    if api_key is None:
        raise ApiKeyRefused("缺少有效的接口密钥，请在请求头 Authorization 中以 Bearer 方式提供本单位的接口密钥。")
    details = {"method": method, "path": path, "prefix": api_key.prefix}
    if api_key.revoked_at is not None:
        audit.record("api_key.refused", api_key, actor=None, keep_if_refused=True,
                     details={**details, "reason": "密钥已吊销"})
        raise ApiKeyRefused(f"接口密钥 {api_key.prefix} 已吊销，请向效能办申请新的密钥。")
    name, ident = "api_key", str(api_key.id)
    if not ratelimit.limiter().hit(ratelimit.rate(name), name, ident):
        _refuse_limited(api_key, name, ident, details)
    api_key.last_used_at = utcnow()
    audit.record("api_key.use", api_key, actor=None, keep_if_refused=True, details=details)
    return api_key


def _refuse_limited(api_key, name, ident, details):
    rate = ratelimit.rate(name)
    if ratelimit.limiter().hit(ratelimit.rate("api_key_limited_log"), "api_key_limited_log", ident):
        audit.record("api_key.limited", api_key, actor=None, keep_if_refused=True,
                     details={**details, "limit": str(rate)})
    seconds = rate.get_expiry()
    per = "每分钟" if seconds == 60 else f"每{seconds}秒"
    refused = ApiKeyRefused(f"调用太频繁：每个接口密钥{per}最多调用{rate.amount}次，请稍后再试。", 429)
    reset_at, _remaining = ratelimit.limiter().get_window_stats(rate, name, ident)
    refused.retry_after = max(1, math.ceil(reset_at - time.time()))
    raise refused


def refuse_other_unit(api_key, unit, *, method, path):
    """A key reaching for another unit's data: recorded, and refused with 403."""
    if unit is not None and unit.id == api_key.unit_id:
        return
    audit.record("api_key.refused", api_key, actor=None, keep_if_refused=True,
                 details={"method": method, "path": path, "prefix": api_key.prefix, "reason": "其他单位",
                          "unit": unit.code if unit is not None else ""})
    raise ApiKeyRefused(f"该接口密钥只能用于{api_key.unit.name}，不能读取或登记其他单位的数据。", 403)
