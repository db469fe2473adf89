"""Absolute links as the public reaches them, for print, QR codes and SMS."""
from flask import current_app, has_request_context, request, url_for


def public_url(endpoint, **values):
    """An absolute URL. PUBLIC_BASE_URL, the app's root as the public reaches it, wins over the
    request's host (behind a proxy the server may not know its public address) and also works
    outside a request, e.g. for notices the sweep sends from cron. None when neither is known."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values) if has_request_context() else None
    if not has_request_context():
        with current_app.test_request_context("/"):
            return base.rstrip("/") + url_for(endpoint, **values)
    return base.rstrip("/") + url_for(endpoint, **values).removeprefix(request.script_root)


def public_base_missing():
    """True while XN_PUBLIC_BASE_URL is unset: printed links then point at whatever host the
    request came to (often this computer), so admin pages warn and printouts are marked 样张."""
    return not current_app.config.get("PUBLIC_BASE_URL")
