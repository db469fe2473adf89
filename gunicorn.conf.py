"""Production serving: `gunicorn -c gunicorn.conf.py` (from the repository root, behind the reverse proxy
described in README.md, "Security").

Slow clients. A sync worker serves one connection at a time, so two clients that declare a body and send
it a byte at a time hold two sync workers until `timeout` kills them (issue 8, failure 9). The gthread
worker reads each request in a thread of its pool: a connection that sends nothing for a few seconds is
handed back to the worker's poller without holding a thread, and one that trickles its body holds one
thread out of `threads`, never a whole worker, while the worker's main loop keeps accepting, answering
health checks and heartbeating; and a body that stalls for `body_timeout` seconds is dropped, which gives
the thread back. The real defence is the proxy: it buffers every request body
(proxy_request_buffering on, client_body_timeout) and gives the app only complete requests, so a slow
client costs the proxy a connection and the app nothing.

Each setting can be changed without editing this file through the environment (XN_GUNICORN_*).
"""
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

wsgi_app = "wsgi:app"
bind = os.environ.get("XN_GUNICORN_BIND", "127.0.0.1:8000")

worker_class = "gthread"
# Processes give the CPU-bound work (PDF rendering, scoring) every core; threads give each process room
# for requests waiting on the database, the disk or a slow client.
workers = int(os.environ.get("XN_GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("XN_GUNICORN_THREADS", 8))

# A worker whose main loop has not checked in for this long is stuck and is restarted. With gthread the
# main loop runs beside the request threads, so a long request (a year's report PDFs) does not trip it.
timeout = int(os.environ.get("XN_GUNICORN_TIMEOUT", 60))
# On a restart or deploy (SIGHUP, SIGTERM) a worker finishes what it is serving for up to this long.
graceful_timeout = int(os.environ.get("XN_GUNICORN_GRACEFUL_TIMEOUT", 30))
# Behind the proxy, which reuses upstream connections: a few seconds is enough and bounds idle sockets.
keepalive = int(os.environ.get("XN_GUNICORN_KEEPALIVE", 5))
# Not a gunicorn setting (see pre_request): a request whose socket stalls this long between two reads
# or writes is dropped and its thread freed; nginx's client_body_timeout, for a client that reaches
# gunicorn without the proxy.
body_timeout = float(os.environ.get("XN_GUNICORN_BODY_TIMEOUT", 15))


def pre_request(worker, req):
    """Give the request's socket the body timeout (gthread reads and writes it blocking, with none)."""
    sock = getattr(req.unreader, "sock", None)
    if sock is not None:
        sock.settimeout(body_timeout)


# Request line and headers: the app needs little; a larger one is refused before the app sees it.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# gunicorn believes no forwarded header itself: the app alone decides, through XN_PROXY_HOPS (ProxyFix),
# which X-Forwarded-For/-Proto to trust, so there is one rule to get right, not two.
forwarded_allow_ips = ""
secure_scheme_headers = {}

accesslog = os.environ.get("XN_GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("XN_GUNICORN_ERRORLOG", "-")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


# Secrets that travel in addresses: invitation tokens (/i/<token>), service rating tokens (/r/<token>), SMS-gateway receipt tokens
# (/api/v1/sms/receipts/<token>) and query codes or tokens in query strings (?code=…, the case API).
_TOKEN_PATHS = re.compile(r"(/i/|/r/|/sms/receipts/)[^/?#\s\"]+")
_TOKEN_PARAMETERS = re.compile(r"(?i)(^|[?&;])(code|token|ticket|key|password|secret)=[^&;#\s\"]*")
REDACTED = "…"


def redact(text):
    """`text` with every token-bearing path part and query value replaced by an ellipsis."""
    text = _TOKEN_PATHS.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_PARAMETERS.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of every access-log field and of error messages that
    quote a request (gunicorn logs the address of a request whose handling failed)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def error(self, msg, *args, **kwargs):
        super().error(redact(str(msg)), *(redact(a) if isinstance(a, str) else a for a in args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(redact(str(msg)), *(redact(a) if isinstance(a, str) else a for a in args), **kwargs)


logger_class = RedactingLogger

