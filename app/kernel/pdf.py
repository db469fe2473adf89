"""PDF notices with WeasyPrint: HTML templates in, PDF bytes out.

The URL fetcher serves only data: URIs and files under this project's static
folder, so a template (or text a citizen typed into it) can never make the
server fetch a network address or read other local files.
"""
import os
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template


def _fetcher(static_root):
    from weasyprint.urls import URLFetcher  # imported late: needs Pango, only PDF routes pay for it

    class RestrictedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = os.path.realpath(unquote(urlsplit(url).path))
                if not path.startswith(static_root + os.sep):
                    raise ValueError(f"blocked file in PDF: {url[:80]}")
            return super().fetch(url, headers)

    return RestrictedFetcher(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=2)


def render_pdf(template, **context):
    """Render `template` (an HTML page for print, extending pdf/base.html) to PDF bytes."""
    from weasyprint import HTML

    static_root = os.path.realpath(current_app.static_folder)
    html = render_template(template, **context)
    return HTML(string=html, base_url=f"file://{static_root}/", url_fetcher=_fetcher(static_root)).write_pdf()
