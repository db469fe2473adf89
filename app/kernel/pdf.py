"""PDF notices with WeasyPrint: HTML templates in, PDF bytes out.

The URL fetcher serves only data: URIs and files under this project's static
folder, so a template (or text a citizen typed into it) can never make the
server fetch a network address or read other local files.
"""
import mimetypes
import os
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template


def _fetcher(static_root):
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # late: needs Pango, only PDF routes pay

    class StaticOnlyFetcher(URLFetcher):
        """data: through WeasyPrint; a static file read here; anything else refused. The scheme is
        compared case-blind (FILE:, File:) and a file URL naming a host (//host/…, which urllib would
        hand to FTP) is refused, so no other path reaches urllib's file, HTTP or FTP handlers."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)  # lowercases the scheme and drops the tabs and newlines urllib would drop
            if parts.scheme == "data":
                return super().fetch(url, headers)  # allowed_protocols re-checks it is data:
            if parts.scheme == "file" and not parts.netloc:
                path = os.path.realpath(unquote(parts.path))
                if path.startswith(static_root + os.sep) and os.path.isfile(path):
                    with open(path, "rb") as fh:
                        body = fh.read()
                    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body, {"Content-Type": content_type})
            raise ValueError(f"blocked URL in PDF: {url[:80]}")

    return StaticOnlyFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=2)


def html_to_pdf(html):
    """PDF bytes of a page for print; relative URLs resolve in the static folder."""
    return pdf_from_html(html, static_root())


def static_root():
    return os.path.realpath(current_app.static_folder)


def pdf_from_html(html, static_folder):
    """The same without Flask, for worker processes: `static_folder` is the only local folder it reads."""
    from weasyprint import HTML

    return HTML(string=html, base_url=f"file://{static_folder}/", url_fetcher=_fetcher(static_folder)).write_pdf()


def render_pdf(template, **context):
    """Render `template` (an HTML page for print, extending pdf/base.html) to PDF bytes."""
    return html_to_pdf(render_template(template, **context))
