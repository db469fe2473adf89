"""Production serving with gunicorn.conf.py: the access log never holds a token, and slow request bodies
do not take the server down (issue 8, failure 9: two connections that send one byte of a declared
1,000 held both sync workers)."""
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "gunicorn.conf.py")
FORWARDED = "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: https\r\n"
SECRETS = ("Inv1tat10nT0ken", "Rece1ptT0ken", "QUERYC0DE", "RefererT0ken", "Rat1ngT0ken")


def _config(**settings):
    """gunicorn's configuration as `gunicorn -c gunicorn.conf.py` builds it, then `settings` on top."""
    gunicorn_base = pytest.importorskip("gunicorn.app.base")

    class Loaded(gunicorn_base.Application):
        def init(self, parser, opts, args):
            return {}

        def load_config(self):
            self.load_config_from_file(CONFIG)
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            raise AssertionError("the app is not loaded here")

    return Loaded().cfg


def _request(uri, referer="-"):
    path, _, query = uri.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer,
               "HTTP_USER_AGENT": "Mozilla/5.0"}
    request = SimpleNamespace(headers=[("HOST", "xn.example.gov.cn"), ("REFERER", referer)])
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[("Location", "/invite")])
    return response, request, environ


def test_the_access_log_replaces_tokens(tmp_path):
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    cfg = _config(accesslog=str(access), errorlog=str(errors))
    assert cfg.worker_class_str == "gthread" and cfg.threads > 2
    logger = cfg.logger_class(cfg)
    for uri, referer in (("/i/Inv1tat10nT0ken", "-"), ("/api/v1/sms/receipts/Rece1ptT0ken", "-"),
                         ("/api/v1/cases/20260101001?code=QUERYC0DE", "https://xn.example.gov.cn/i/RefererT0ken"),
                         ("/cases/lookup?number=20260101001", "-"), ("/r/Rat1ngT0ken/qr.png", "-")):
        logger.access(*_request(uri, referer), timedelta(milliseconds=12))
    logger.exception("Error handling request %s", "/i/Inv1tat10nT0ken")
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.close()  # flushed; gunicorn's loggers are process-wide
    lines = access.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert '"GET /i/… HTTP/1.1" 302' in lines[0]
    assert '"GET /api/v1/sms/receipts/… HTTP/1.1"' in lines[1]
    assert '"GET /api/v1/cases/20260101001?code=… HTTP/1.1"' in lines[2] and '"https://xn.example.gov.cn/i/…"' in lines[2]
    assert '"GET /cases/lookup?number=20260101001 HTTP/1.1"' in lines[3]  # what is not a secret stays
    assert '"GET /r/…/qr.png HTTP/1.1"' in lines[4]
    logged = access.read_text(encoding="utf-8") + errors.read_text(encoding="utf-8")
    assert "Error handling request /i/…" in logged
    assert not [secret for secret in SECRETS if secret in logged]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port, path, timeout, headers=""):
    """The status line and headers of GET `path`; raises if there is no answer within `timeout` s."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.decode("latin-1")


@pytest.fixture
def start_gunicorn(tmp_path):
    """start(**env): gunicorn.conf.py serving wsgi:app on a free port with one worker; returns
    (port, access log path). Stopped after the test."""
    pytest.importorskip("gunicorn")
    servers = []

    def start(**extra_env):
        port, access, errors = _free_port(), tmp_path / "access.log", tmp_path / "error.log"
        env = {**os.environ, "XN_INSTANCE_PATH": str(tmp_path / "instance"), "XN_SECRET_KEY": "serving-test",
               "XN_GUNICORN_BIND": f"127.0.0.1:{port}", "XN_GUNICORN_WORKERS": "1",
               "XN_GUNICORN_ACCESSLOG": str(access), "XN_GUNICORN_ERRORLOG": str(errors), **extra_env}
        env.pop("DATABASE_URL", None)
        # The schema as a deployment has it (sessions live in the database): migrations only, no units.
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", CONFIG, "--no-control-socket"],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(port, "/healthz", timeout=2)
                return port, access
            except OSError:
                if servers[-1].poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start: " + errors.read_text(errors="replace"))
                time.sleep(0.2)

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=40)


def _slow_body(port):
    """A connection that declares a 1,000-byte body and sends one byte of it."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(b"POST /cases/lookup HTTP/1.1\r\nHost: localhost\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nn")
    return conn


@pytest.mark.server
def test_slow_bodies_do_not_hold_the_server(start_gunicorn):
    port, access = start_gunicorn()
    slow = [_slow_body(port) for _ in range(2)]
    try:
        time.sleep(0.5)  # both are now inside the server, waiting for the other 999 bytes
        answer = _get(port, "/healthz", timeout=10, headers=FORWARDED)  # generous: answered at all, not how fast
        assert answer.startswith("HTTP/1.1 200")
        assert "Strict-Transport-Security" not in answer  # no proxy configured: the header is the client's claim
        invitation = _get(port, "/i/Inv1tat10nT0ken", timeout=10)
        assert invitation.startswith("HTTP/1.1 302") and re.search(r"(?m)^Location: /invite\r$", invitation)
    finally:
        for conn in slow:
            conn.close()
    time.sleep(0.5)  # the access log is written after each response
    logged = access.read_text(encoding="utf-8")
    assert '"GET /i/… HTTP/1.1" 302' in logged and "Inv1tat10nT0ken" not in logged


@pytest.mark.server
def test_https_is_believed_only_through_the_configured_proxy(start_gunicorn):
    port, _access = start_gunicorn(XN_PROXY_HOPS="1")
    assert re.search(r"(?m)^Strict-Transport-Security: max-age=\d+\r$", _get(port, "/healthz", 10, FORWARDED))
    assert "Strict-Transport-Security" not in _get(port, "/healthz", 10)


@pytest.mark.server
def test_a_stalled_body_is_dropped_after_the_body_timeout(start_gunicorn):
    """The thread a stalled body holds is given back: the request is answered with a refusal."""
    port, _access = start_gunicorn(XN_GUNICORN_BODY_TIMEOUT="1")
    with _slow_body(port) as conn:
        answer = conn.recv(4096).decode("latin-1")  # within the socket's 10 s, or this raises
    assert re.match(r"HTTP/1\.1 4\d\d ", answer)
