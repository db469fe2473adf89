"""Security headers on every response, set in one after-request hook.

Pages run no inline script or style (templates keep them in app/static/), so the policy needs no
nonces. Responses that are not pages get a policy that lets a browser show them and nothing more:
a PDF keeps only `frame-ancestors`, because Chromium's built-in viewer draws the PDF inside a page of
its own that a stricter policy breaks (it needs inline style and its own plugin frame).
"""
from flask import request

PAGE_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # QR codes on the poster and invitation pages are data: images
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PDF_POLICY = "frame-ancestors 'none'"
# JSON, CSV, images, SVG, downloads: nothing runs, even if a browser opens one as a page.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def init_app(app, staff_paths):
    """Headers on every response of `app`; `staff_paths` are the path prefixes of staff pages, whose
    links keep a same-site Referer (the refusal handler sends a refused form back to its page)."""
    staff_paths = tuple(staff_paths)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # A view may have set a stricter policy of its own (attachments: sandbox, nothing loads).
        headers.setdefault("Content-Security-Policy", _policy(response.mimetype))
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        # Citizen pages carry case numbers and invitation tokens in their addresses: never sent on.
        headers.setdefault("Referrer-Policy", "same-origin" if _under(request.path, staff_paths)
                           else "no-referrer")
        if request.is_secure:  # directly or, through ProxyFix, as the trusted proxy says
            headers["Strict-Transport-Security"] = f"max-age={int(app.config['HSTS_SECONDS'])}"
        return response


def _policy(mimetype):
    if mimetype == "text/html":
        return PAGE_POLICY
    if mimetype == "application/pdf":
        return PDF_POLICY
    return OTHER_POLICY


def _under(path, prefixes):
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
