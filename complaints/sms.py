"""An SMS back end that delivers through any HTTP gateway: the request is a template in the configuration.

Set NOTIFY_BACKEND = "complaints.sms.GatewayBackend", SMS_GATEWAY_URL and SMS_GATEWAY_KEY, and describe
the provider's request in SMS_REQUEST (see DEFAULT_REQUEST; README 「短信网关」). Placeholders {phone},
{text}, {key} and {id} (the outbox id, which lets a gateway drop a retried duplicate) are filled in
the URL, the headers and the body fields. A 2xx answer whose fields match `accepted` is an acceptance;
a 4xx other than 408 and 429 is a refusal that retrying cannot change; anything else is tried again by
the next sweep. The key never reaches the log, the outbox or an error text.

Notices to a unit or the office carry no telephone number: they are only logged, and say so.
"""
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

from flask import current_app

from app.kernel.privacy import mask_phone
from app.kernel.refusals import Refusal

log = logging.getLogger(__name__)

DEFAULT_REQUEST = {
    "method": "POST",
    # json: the fields as a JSON body; form: url-encoded; query: appended to the URL (GET gateways)
    "format": "json",
    "headers": {"Authorization": "Bearer {key}"},
    "fields": {"to": "{phone}", "text": "{text}", "client_ref": "{id}"},
    # fields of the JSON answer that must hold these values for an acceptance; {} accepts any 2xx
    "accepted": {},
    # the JSON answer's field holding the gateway's message id; "" uses our outbox id
    "reference": "id",
    "timeout": 10,
}
_PLACEHOLDER = re.compile(r"\{(phone|text|key|id)\}")
_RETRYABLE_4XX = (408, 429)


class GatewayFailure(Refusal):
    """The gateway did not take the message; `final` when trying again cannot help."""

    def __init__(self, message, final=False):
        super().__init__(message, status=502)
        self.final = final


def request_settings():
    config = current_app.config
    settings = {**DEFAULT_REQUEST, **(config.get("SMS_REQUEST") or {})}
    if not config.get("SMS_GATEWAY_URL"):
        raise GatewayFailure("未配置短信网关地址（SMS_GATEWAY_URL）")
    return config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_KEY") or "", settings


def _fill(template, values, quote=None):
    """Every string in `template` (nested dicts and lists too) with its placeholders filled."""
    if isinstance(template, dict):
        return {name: _fill(value, values, quote) for name, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values, quote) for value in template]
    if not isinstance(template, str):
        return template
    return _PLACEHOLDER.sub(lambda m: quote(values[m[1]]) if quote else values[m[1]], template)


def build_request(message, url, key, settings):
    """The urllib request for one message, built from the configured template."""
    values = {"phone": message.phone, "text": message.body, "key": key, "id": str(message.id)}
    url = _fill(url, values, quote=lambda value: urllib.parse.quote(value, safe=""))
    fields = _fill(settings["fields"], values)
    headers = _fill(settings["headers"], values)
    data = None
    if settings["format"] == "json":
        data = json.dumps(fields, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif settings["format"] == "form":
        data = urllib.parse.urlencode(fields).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    else:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(fields)
    return urllib.request.Request(url, data=data, headers=headers, method=settings["method"])


class GatewayBackend:
    """Posts citizens' notices to the configured gateway; returns ("sent", the gateway's reference)."""

    def send(self, message):
        if not message.phone:
            log.info("notice %s to %s logged only: it has no mobile number", message.id, message.audience)
            return "logged"
        url, key, settings = request_settings()
        request = build_request(message, url, key, settings)
        try:
            with urllib.request.urlopen(request, timeout=settings["timeout"]) as answer:
                body = answer.read(65536)
        except urllib.error.HTTPError as error:
            final = 400 <= error.code < 500 and error.code not in _RETRYABLE_4XX
            raise GatewayFailure(_clean(f"短信网关拒绝（HTTP {error.code}）：{_text(error.read(300))}", key,
                                        message.phone), final=final) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GatewayFailure(_clean(f"无法连接短信网关：{reason}", key, message.phone)) from None
        return "sent", _reference(message, body, settings, key)


def _reference(message, body, settings, key):
    """The gateway's id for an accepted message; a failure if the answer says it was not accepted."""
    if not settings["accepted"] and not settings["reference"]:
        return str(message.id)
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise GatewayFailure(_clean(f"短信网关的应答无法识别：{_text(body[:200])}", key, message.phone))
    for field, wanted in settings["accepted"].items():
        if str(answer.get(field)) != str(wanted):
            shown = json.dumps(answer, ensure_ascii=False)[:200]
            raise GatewayFailure(_clean(f"短信网关未接受（{field}={answer.get(field)}）：{shown}", key, message.phone))
    reference = answer.get(settings["reference"]) if settings["reference"] else None
    return str(reference)[:64] if reference not in (None, "") else str(message.id)


def _text(raw):
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _clean(text, key, phone):
    """An error text fit for the outbox page: no key, the phone number masked."""
    if key:
        text = text.replace(key, "***")
    if phone:
        text = text.replace(phone, mask_phone(phone))
    return text[:300]


def read_receipt(payload):
    """(reference, delivered) from a delivery report's fields, as SMS_RECEIPT names them; None if absent."""
    names = current_app.config["SMS_RECEIPT"]
    reference, status = payload.get(names["reference"]), payload.get(names["status"])
    if reference in (None, "") or status in (None, ""):
        return None
    return str(reference)[:64], str(status) in {str(value) for value in names["delivered"]}
