"""Messages really sent: a local fake SMS gateway (an HTTP server in a thread) receives the outbox through
the configured request template, fails on demand, and reports delivery; the log back end says 已记录."""
import json
import threading
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import operations as ops
from complaints.models import OutboxMessage
from complaints.sweep import sweep

KEY = "k-7f3a9c2e-secret"
PHONE = "13912345678"
NOW = datetime(2025, 3, 3, 2, 0)


class FakeGateway(ThreadingHTTPServer):
    """Answers each request with the next (status, JSON body) of `answers` (then the last one again)
    and keeps what it received: method, path, headers and body."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received, self.answers = [], [(200, {"id": "gw-1"})]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}/send"

    def answer(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    def _serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": body.decode()})
        status, answer = self.server.answer()
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(app, monkeypatch):
    server = FakeGateway()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "NOTIFY_BACKEND", "complaints.sms.GatewayBackend")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", server.url)
    monkeypatch.setitem(app.config, "SMS_GATEWAY_KEY", KEY)
    monkeypatch.setitem(app.config, "SMS_REQUEST", None)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def notice(new_case):
    """The citizen's 'received' notice of a new complaint, waiting in the outbox."""
    case = new_case(now=NOW, phone=PHONE)
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()


def test_the_gateway_receives_the_message_through_the_template(gateway, notice):
    assert sweep(NOW)["sent"] == 1
    [request] = gateway.received
    assert request["method"] == "POST" and request["path"] == "/send"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert json.loads(request["body"]) == {"to": PHONE, "text": notice.body, "client_ref": str(notice.id)}
    assert (notice.status, notice.reference, notice.attempts) == ("sent", "gw-1", 1)
    assert notice.sent_at == NOW


def test_a_provider_template_with_form_fields_and_an_answer_code(app, gateway, notice, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", gateway.url + "?apikey={key}")
    monkeypatch.setitem(app.config, "SMS_REQUEST", {
        "format": "form", "headers": {}, "fields": {"mobile": "{phone}", "content": "【测试】{text}"},
        "accepted": {"code": 0}, "reference": "msgid"})
    gateway.answers = [(200, {"code": 17, "msg": "余额不足"}), (200, {"code": 0, "msgid": "M-88"})]
    assert sweep(NOW)["retry"] == 1
    assert notice.status == "pending" and "code=17" in notice.last_error and "余额不足" in notice.last_error
    assert sweep(NOW)["sent"] == 1
    assert (notice.status, notice.reference, notice.attempts) == ("sent", "M-88", 2)
    request = gateway.received[-1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query) == {"apikey": [KEY]}
    assert urllib.parse.parse_qs(request["body"]) == {"mobile": [PHONE], "content": ["【测试】" + notice.body]}


def test_a_failing_gateway_is_retried_on_each_sweep_then_given_up(app, gateway, notice, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    gateway.answers = [(503, {"error": f"overloaded, key {KEY}, to {PHONE}"})]
    assert sweep(NOW)["retry"] == 1 and sweep(NOW)["retry"] == 1
    assert notice.status == "pending" and notice.sent_at is None and notice.attempts == 2
    assert "HTTP 503" in notice.last_error
    assert KEY not in notice.last_error and PHONE not in notice.last_error and "139****5678" in notice.last_error
    assert sweep(NOW)["failed"] == 1
    assert notice.status == "failed" and notice.attempts == 3
    assert sweep(NOW)["failed"] == 0 and len(gateway.received) == 3  # given up: not tried again


def test_a_refusal_the_gateway_calls_final_is_not_retried(gateway, notice):
    gateway.answers = [(400, {"error": "invalid number"})]
    assert sweep(NOW)["failed"] == 1
    assert notice.status == "failed" and notice.attempts == 1 and "HTTP 400" in notice.last_error
    gateway.answers = [(429, {"error": "slow down"})]
    notice.status, notice.attempts = "pending", 0
    assert sweep(NOW)["retry"] == 1  # too many requests: may pass


def test_an_unreachable_gateway_keeps_the_message(app, gateway, notice, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", "http://127.0.0.1:9/send")
    assert sweep(NOW)["retry"] == 1
    assert notice.status == "pending" and "无法连接短信网关" in notice.last_error


def test_notices_without_a_phone_are_only_logged_even_with_a_gateway(gateway, new_case, make):
    case = new_case(now=NOW, phone=PHONE)
    ops.accept(case, make.user("handler"), now=NOW)
    ops.assign(case, make.user("handler"), case.unit, now=NOW)
    counts = sweep(NOW)
    unit_notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.audience == "unit")).one()
    assert unit_notice.status == "logged" and unit_notice.reference == ""
    assert counts["logged"] >= 1 and {json.loads(r["body"])["to"] for r in gateway.received} == {PHONE}


def test_the_gateway_reports_delivery(app, client, gateway, notice, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RECEIPT_TOKEN", "receipt-token-1")
    gateway.answers = [(200, {"id": "gw-2"})]
    sweep(NOW)
    db.session.commit()  # a refused request below rolls back what is not committed
    assert client.post("/api/v1/sms/receipts/wrong", json={"id": "gw-2", "status": "DELIVRD"}).status_code == 404
    assert client.post("/api/v1/sms/receipts/receipt-token-1", json={"id": "gw-2"}).status_code == 400
    answer = client.post("/api/v1/sms/receipts/receipt-token-1", json={"id": "gw-2", "status": "DELIVRD"})
    assert answer.status_code == 200 and answer.json == {"recorded": True}
    assert notice.status == "delivered" and notice.reported_at is not None
    again = client.post("/api/v1/sms/receipts/receipt-token-1", data={"id": "gw-2", "status": "UNDELIV"})
    assert again.json == {"recorded": False} and notice.status == "delivered"  # a report counts once


def test_an_undelivered_report(app, client, gateway, notice, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RECEIPT_TOKEN", "receipt-token-1")
    sweep(NOW)
    db.session.commit()
    client.post("/api/v1/sms/receipts/receipt-token-1", data={"id": "gw-1", "status": "EXPIRED"})
    assert notice.status == "undelivered"


def test_the_outbox_shows_each_status_and_requeues_a_failed_message(app, client, login, gateway, notice):
    gateway.answers = [(400, {"error": "bad"})]
    sweep(NOW)
    db.session.commit()
    login("admin")
    page = client.get("/admin/cases/outbox").data.decode()
    assert "发送失败" in page and "已尝试1次" in page and "HTTP 400" in page and "重新发送" in page
    assert "log-only" not in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/admin/cases/outbox/{notice.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and notice.status == "pending" and notice.attempts == 0
    refused = client.post(f"/admin/cases/outbox/{notice.id}/retry", data={"csrf_token": token})
    assert refused.status_code in (303, 409) and notice.status == "pending"
    gateway.answers = [(200, {"id": "gw-3"})]
    sweep(NOW)
    assert "已发送" in client.get("/admin/cases/outbox").data.decode()


def test_the_log_back_end_says_recorded_never_sent(app, client, login, notice):
    assert app.config["NOTIFY_BACKEND"] == "complaints.notify.LoggingBackend"
    counts = sweep(NOW)
    assert counts["logged"] >= 1 and counts["sent"] == 0 and notice.status == "logged"
    login("admin")
    page = client.get("/admin/cases/outbox").data.decode()
    assert "已记录（未外发）" in page and "已发送" not in page and 'id="log-only"' in page


def test_the_constraints_hold_the_status_to_the_facts(notice):
    notice.status = "sent"  # sent without a time or a reference
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()
