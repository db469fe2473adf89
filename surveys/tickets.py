"""The questionnaire page's one-time ticket: a signed random nonce and the time the page was shown.

Its hash makes a resubmitted page (back button, double tap, replay) store once, and its age is the
response's duration. Used by the window questionnaire, the invitation page and the hall pad.
"""
import secrets
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from surveys import operations as ops

CSRF_EXPIRED = "页面停留时间过长，安全校验已过期。您的选择已保留，请再次点击“提交”。"
TICKET_STALE = "页面已过期，请再次点击“提交评价”。您的选择已保留。"


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="survey-ticket")


def new_ticket():
    return _serializer().dumps(secrets.token_urlsafe(16))


def read_ticket(raw):
    """(hash of the ticket's nonce, seconds since the form was first shown); None if absent, old or forged."""
    try:
        nonce, signed_at = _serializer().loads(raw or "", return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(nonce, str) or len(nonce) < 16:
        return None
    return ops.token_hash(nonce), max(0.0, (datetime.now(timezone.utc) - signed_at).total_seconds())
