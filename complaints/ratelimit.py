"""A small in-process sliding-window limiter for anonymous endpoints (lookups, the JSON API).

Per worker process: good enough to stop a script guessing query codes or
flooding the intake; a shared limiter belongs in front of the app (the proxy).
"""
import threading
import time
from collections import defaultdict, deque

_hits = defaultdict(deque)
_lock = threading.Lock()
_MAX_KEYS = 50_000


def allow(bucket, client, limit, seconds, now=None):
    """Record a hit for (bucket, client); False if it is over `limit` within `seconds`."""
    now = time.monotonic() if now is None else now
    key = (bucket, client or "-")
    with _lock:
        if len(_hits) > _MAX_KEYS:
            _hits.clear()  # a flood of distinct clients must not grow memory without bound
        hits = _hits[key]
        while hits and hits[0] <= now - seconds:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True


def reset():
    with _lock:
        _hits.clear()
