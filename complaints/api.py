"""JSON API for cases: POST /api/v1/cases, GET /api/v1/cases/<number>?code=, the OpenAPI file.

CSRF-exempt (JSON bodies, no cookies), size- and rate-limited per client. Field
names of the status follow Open311 GeoReport v2 where they fit. Bad JSON (however
malformed or deeply nested), a wrong content type or a field with text the
database cannot store is a 400 with a message, never a 500; a body over 64 KB,
with or without a Content-Length, is a 413.
"""
import hmac
import json
import os

from flask import Blueprint, current_app, request
from werkzeug.datastructures import MultiDict

from app.kernel.clock import local_text
from app.kernel import ratelimit
from app.kernel.extensions import csrf
from complaints import notify, operations as ops, sms, workflow
from complaints.deadlines import end_of_day
from complaints.forms import CaseFieldsForm
from app.kernel.text import text_problem

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_BODY = 64 * 1024
TOO_LARGE = f"请求体不能超过{MAX_BODY // 1024}KB"
FIELDS = ("kind", "unit_code", "window_code", "description", "name", "phone", "anonymous")
OPENAPI = os.path.join(os.path.dirname(__file__), "openapi.json")


def _error(message, status, fields=None):
    body = {"error": message}
    if fields:
        body["fields"] = fields
    return body, status


def _formdata(payload):
    """The JSON object as form data for CaseFieldsForm; type and text errors per field. Unknown keys are ignored."""
    data, errors = MultiDict(), {}
    for key in FIELDS:
        value = payload.get(key)
        if value is None:
            continue
        if key == "anonymous":
            if not isinstance(value, bool):
                errors[key] = ["须为 true 或 false"]
            elif value:
                data[key] = "y"
        elif not isinstance(value, str):
            errors[key] = ["须为字符串"]
        elif text_problem(value):
            errors[key] = [text_problem(value)]
        else:
            data[key] = value
    return data, errors


def _iso(day):
    """A deadline day as the last second of that day in Beijing time."""
    return end_of_day(day).isoformat() if day else None


def _utc_iso(moment):
    return local_text(moment, "iso") or None


def _read_body():
    """At most MAX_BODY + 1 bytes: a chunked body has no Content-Length to refuse it by beforehand."""
    body = bytearray()
    while len(body) <= MAX_BODY:
        chunk = request.stream.read(MAX_BODY + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)


def _parse(body):
    """The JSON document, or None for anything that is not UTF-8 JSON the parser can finish."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8, bad JSON and huge integers
        return None


@bp.route("/cases", methods=["POST"])
def create_case():
    if (request.content_length or 0) > MAX_BODY:
        return _error(TOO_LARGE, 413)
    ratelimit.hit("api_case_post", message="提交太频繁，请稍后再试。")  # a refusal answers JSON 429 under /api/
    if request.mimetype != "application/json":
        return _error("Content-Type 须为 application/json", 400)
    body = _read_body()
    if len(body) > MAX_BODY:
        return _error(TOO_LARGE, 413)
    payload = _parse(body)
    if not isinstance(payload, dict):
        return _error("请求体须为 UTF-8 编码的 JSON 对象", 400)
    data, errors = _formdata(payload)
    form = CaseFieldsForm(formdata=data, meta={"csrf": False})
    if not form.validate() or errors:
        fields = {name: list(messages) for name, messages in form.errors.items()}
        fields.update(errors)
        return _error("提交的内容有误", 400, fields)
    case, code = ops.create_case(channel="api", **form.case_fields())
    return {"number": case.number, "query_code": code, "status": "open", "case_status": case.status,
            "expected_datetime": _iso(case.reply_due_on), "provisional": case.deadlines_provisional}, 201


@bp.route("/cases/<number>")
def case_status(number):
    ratelimit.hit("api_case_get", message="查询太频繁，请稍后再试。")
    try:
        case = ops.find_case(number, request.args.get("code", ""))
    except ops.CaseError as error:
        return _error(error.message, error.status)
    notes = {"declined": case.decline_reason, "replied": case.reply, "closed": case.reply}.get(case.status, "")
    return {
        "service_request_id": case.number,
        "service_name": case.kind_label,
        "status": "open" if case.is_open else "closed",
        "case_status": case.status,
        "status_notes": notes or workflow.STATUS_LABELS[case.status],
        "agency_responsible": (case.assigned_unit or case.unit).name,
        "requested_datetime": _utc_iso(case.received_at),
        "updated_datetime": _utc_iso(case.events[-1].created_at) if case.events else None,
        "expected_datetime": _iso(case.reply_due_on) if case.stage in ("accept", "reply", "review") else None,
        "provisional": case.deadlines_provisional,
    }


@bp.route("/sms/receipts/<token>", methods=["POST"])
def sms_receipt(token):
    """The SMS gateway's delivery report (JSON or form fields, named by SMS_RECEIPT); the token in the
    path is the shared secret SMS_RECEIPT_TOKEN. Unknown references are acknowledged and ignored."""
    expected = current_app.config.get("SMS_RECEIPT_TOKEN")
    if not expected or not hmac.compare_digest(token.encode(), str(expected).encode()):
        return _error("未找到", 404)
    payload = _parse(_read_body()) if request.mimetype == "application/json" else request.form
    receipt = sms.read_receipt(payload) if hasattr(payload, "get") else None
    if receipt is None:
        return _error("回执须含短信编号和状态", 400)
    message = notify.record_receipt(*receipt)
    return {"recorded": message is not None}


@bp.route("/openapi.json")
def openapi():
    with open(OPENAPI, encoding="utf-8") as fh:
        document = json.load(fh)
    document["servers"] = [{"url": request.host_url.rstrip("/") + "/api/v1"}]
    return current_app.response_class(json.dumps(document, ensure_ascii=False, indent=1),
                                      mimetype="application/json")
