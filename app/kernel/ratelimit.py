"""One shared rate limiter for every limit of the app, on the `limits` library.

Counts live in memory (one process) by default, and in Redis when XN_RATELIMIT_STORAGE_URI (or
XN_REDIS_URL) is set, so that every worker and every node counts together. Each limit has a name; its
rate ("10 per 10 minutes") is the scheme's [limits] entry of that name, so a region sets its own.
Counts are kept per client address (or per whatever key the caller names, e.g. an account): the
address is the socket's peer, or with XN_PROXY_HOPS the one the trusted proxies say they saw
(ProxyFix), never an X-Forwarded-For entry a client wrote itself. IPv6 clients count per /64, the
block one subscriber gets.
"""
import ipaddress
import math
import time

from flask import current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.kernel.refusals import Refusal
from app.kernel.scheme import SchemeError, current_scheme

TOO_FREQUENT = "操作太频繁，请稍后再试。"


class TooFrequent(Refusal):
    """A request over one of the scheme's rate limits."""

    status = 429


def init_app(app):
    uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
    options = {"key_prefix": app.config["RATELIMIT_KEY_PREFIX"]} if uri.startswith(("redis", "rediss")) else {}
    app.extensions["xn_limiter"] = MovingWindowRateLimiter(storage_from_string(uri, **options))


def limiter(app=None):
    return (app or current_app).extensions["xn_limiter"]


def rate(name):
    """The scheme's rate for limit `name`, e.g. "10 per 10 minutes"."""
    text = current_scheme()["limits"].get(name)
    try:
        return parse(text)
    except (TypeError, ValueError):
        raise SchemeError(f"考核方案 [limits] 中 {name} 的频率限制缺失或无法识别：{text}") from None


def client_address():
    """The client's address as the limits count it: an IPv6 address by its /64."""
    address = request.remote_addr or "-"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def hit(name, key=None, message=TOO_FREQUENT):
    """Count one request against limit `name` for `key` (default: the client's address); refuse it when
    the limit is already reached."""
    if not limiter().hit(rate(name), name, key or client_address()):
        raise TooFrequent(message)


def reached(name, key=None):
    """Whether limit `name` is used up for `key`, without counting anything."""
    return not limiter().test(rate(name), name, key or client_address())


def count(name, key=None):
    """Count one event (a failed sign-in) without refusing anything."""
    limiter().hit(rate(name), name, key or client_address())


def clear(name, key=None):
    limiter().clear(rate(name), name, key or client_address())


def minutes_left(name, key=None):
    """Whole minutes until limit `name` lets `key` through again (at least 1)."""
    reset_at, _remaining = limiter().get_window_stats(rate(name), name, key or client_address())
    return max(1, math.ceil((reset_at - time.time()) / 60))
