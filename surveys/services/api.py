"""POST /api/v1/services and GET /api/v1/services/<service_id>: a unit's business system registers a
finished service and reads whether it was rated. An API key of the unit is required (app.registry.auth)."""
import json

from flask import Blueprint, g, request
from werkzeug.datastructures import MultiDict

from app.kernel.clock import local_text
from app.kernel.extensions import csrf
from app.kernel.text import text_problem
from app.registry import operations as registry
from app.registry.auth import api_key_required, require_key_unit
from surveys.services import operations as ops
from surveys.services.forms import ApiServiceForm

bp = Blueprint("services_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_BODY = 16 * 1024
STRINGS = ("unit_code", "window_code", "matter_code", "matter_name", "case_number", "officer_number",
           "finished_at", "mobile")


def _error(message, status, fields=None):
    return ({"error": message, "fields": fields} if fields else {"error": message}), status


def _formdata(payload):
    """The JSON object as form data; type and text errors per field. Unknown keys are ignored."""
    data, errors = MultiDict(), {}
    for key in STRINGS:
        value = payload.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[key] = ["须为字符串"]
        elif text_problem(value):
            errors[key] = [text_problem(value)]
        else:
            data[key] = value
    consent = payload.get("callback_consent", False)
    if not isinstance(consent, bool):
        errors["callback_consent"] = ["须为 true 或 false"]
    elif consent:
        data["callback_consent"] = "y"
    return data, errors


def _payload():
    if request.mimetype != "application/json":
        return None, _error("Content-Type 须为 application/json", 400)
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return None, _error(f"请求体不能超过{MAX_BODY // 1024}KB", 413)
    try:
        payload = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return None, _error("请求体须为 UTF-8 编码的 JSON 对象", 400)
    return payload, None


def body_of(record, **extra):
    return {"service_id": record.public_id, "unit_code": record.unit.code, "window_code": record.window.code,
            "case_number": record.case_number, "status": ops.status(record),
            "expires_at": local_text(record.expires_at, "iso"), **ops.links(record), **extra}


@bp.route("/services", methods=["POST"])
@api_key_required
def register_service():
    payload, refused = _payload()
    if refused:
        return refused
    data, errors = _formdata(payload)
    form = ApiServiceForm(formdata=data, meta={"csrf": False})
    if not form.validate() or errors:
        fields = {name: list(messages) for name, messages in form.errors.items()}
        return _error("提交的内容有误", 400, {**fields, **errors})
    require_key_unit(registry.unit_by_code(form.unit_code.data.strip()))
    try:
        window = ops.window_of(g.api_key.unit, form.window_code.data.strip())
        finished_at = ops.parse_finished_at(form.finished_at.data)
        record, created = ops.register(window=window, finished_at=finished_at, api_key=g.api_key,
                                       **form.service_fields())
    except ops.ServiceError as error:
        return _error(error.message, error.status, error.fields)
    return body_of(record, callback=record.callback_phone is not None), 201 if created else 200


@bp.route("/services/<service_id>")
@api_key_required
def service_status(service_id):
    record = ops.by_public_id(service_id)
    require_key_unit(record.unit)
    return body_of(record)
