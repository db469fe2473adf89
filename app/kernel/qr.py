"""QR codes (PNG, SVG) for posters, invitations and letters, and data: URIs to embed them."""
import base64
import io
from html import escape

import qrcode
import qrcode.image.svg


def _qr(data, box_size=10):
    # Level M survives a crease or a smudge on a printed poster and keeps the code small.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data, box_size=10):
    out = io.BytesIO()
    _qr(data, box_size).make_image().save(out)
    return out.getvalue()


def qr_svg(data):
    svg = _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    # The title names the target for screen readers and for whoever opens the file.
    head, _, rest = svg.partition(">")
    return f"{head}><title>{escape(data)}</title>{rest}"


def data_uri(mime, content):
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"
