"""Window QR codes (PNG, SVG) and the printable poster (HTML, PDF)."""
import io
import re
import shutil
import subprocess

import pytest
import qrcode
from PIL import Image

from app.kernel.qr import qr_png

URL = "http://localhost/s/Q101-W1"


@pytest.fixture
def window(make):
    unit = make.unit(code="Q101", name="省二维码测试厅")
    return make.window(unit=unit, code="Q101-W1", name="行政审批窗口")


def _modules(png, box_size=10, border=4):
    """Read the dark/light module grid back out of a rendered QR PNG."""
    image = Image.open(io.BytesIO(png)).convert("L")
    count = image.width // box_size - 2 * border
    assert image.width == image.height == (count + 2 * border) * box_size
    centre = lambda i: (i + border) * box_size + box_size // 2  # noqa: E731
    return [[image.getpixel((centre(col), centre(row))) < 128 for col in range(count)] for row in range(count)]


def _expected_modules(data):
    """The module grid of `data` at the error correction level the app promises (M)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _finder_at(grid, top, left):
    """A 7×7 finder pattern: dark ring, light ring, dark 3×3 core."""
    for r in range(7):
        for c in range(7):
            ring = min(r, c, 6 - r, 6 - c)
            if grid[top + r][left + c] != (ring != 1):
                return False
    return True


@pytest.mark.parametrize("role", ["liaison", "handler", "statistician"])
@pytest.mark.parametrize("suffix", ["qr.png", "qr.svg", "poster", "poster.pdf"])
def test_only_admin_gets_qr_codes(client, login, window, role, suffix):
    login(role)
    assert client.get(f"/admin/surveys/windows/{window.code}/{suffix}").status_code == 403


def test_anonymous_is_sent_to_login(client, window):
    response = client.get(f"/admin/surveys/windows/{window.code}/qr.png")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_png_encodes_the_absolute_short_url(client, login, window):
    login("admin")
    response = client.get(f"/admin/surveys/windows/{window.code}/qr.png")
    assert response.status_code == 200 and response.content_type == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    grid = _modules(response.data)
    size = len(grid)
    assert size >= 21 and (size - 17) % 4 == 0, "a QR symbol is 17 + 4·version modules wide"
    assert _finder_at(grid, 0, 0) and _finder_at(grid, 0, size - 7) and _finder_at(grid, size - 7, 0)
    assert grid == _expected_modules(URL)


def test_svg_carries_the_absolute_url(client, login, window):
    login("admin")
    response = client.get(f"/admin/surveys/windows/{window.code}/qr.svg")
    svg = response.data.decode()
    assert response.status_code == 200 and response.content_type.startswith("image/svg+xml")
    assert svg.startswith("<svg") and f"<title>{URL}</title>" in svg and "<path" in svg


def test_public_base_url_overrides_the_host(app, client, login, window):
    login("admin")
    app.config["PUBLIC_BASE_URL"] = "https://xn.example.gov.cn"
    try:
        svg = client.get(f"/admin/surveys/windows/{window.code}/qr.svg").data.decode()
        png = client.get(f"/admin/surveys/windows/{window.code}/qr.png").data
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert "<title>https://xn.example.gov.cn/s/Q101-W1</title>" in svg
    assert _modules(png) == _expected_modules("https://xn.example.gov.cn/s/Q101-W1")


def test_unknown_window_is_404(client, login):
    login("admin")
    for suffix in ("qr.png", "qr.svg", "poster", "poster.pdf"):
        assert client.get(f"/admin/surveys/windows/NOPE/{suffix}").status_code == 404


def test_poster_page(client, login, window):
    login("admin")
    response = client.get(f"/admin/surveys/windows/{window.code}/poster")
    page = response.data.decode()
    assert response.status_code == 200
    for text in ("省二维码测试厅", "行政审批窗口", "请扫码评价我们的服务", URL,
                 "非常满意", "满意", "基本满意", "不满意", "非常不满意", 'src="data:image/png;base64,'):
        assert text in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_poster_pdf_is_a4_with_the_unit_name(client, login, window, tmp_path):
    login("admin")
    response = client.get(f"/admin/surveys/windows/{window.code}/poster.pdf")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF")
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    for expected in ("省二维码测试厅", "行政审批窗口", "请扫码评价我们的服务", URL, "非常不满意"):
        assert expected in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info and re.search(r"^Pages:\s+1$", info, re.M)


def test_qr_png_module_size_follows_box_size():
    small, large = qr_png(URL, box_size=4), qr_png(URL, box_size=12)
    assert _modules(small, box_size=4) == _modules(large, box_size=12) == _expected_modules(URL)


@pytest.mark.parametrize("extension", ["png", "svg"])
def test_qr_downloads_are_named_after_the_window(client, login, make, extension):
    login("admin")
    window = make.window(code="A101-W7")
    response = client.get(f"/admin/surveys/windows/{window.code}/qr.{extension}")
    assert response.headers["Content-Disposition"] == f'attachment; filename="qr-A101-W7.{extension}"'
