"""Printed links follow XN_PUBLIC_BASE_URL; without it, staff pages warn and printouts say 样张."""
import shutil
import subprocess

import pytest

pdftools = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                              reason="poppler-utils not installed")
BANNER = "尚未设置对外访问地址"


@pytest.fixture
def window(make):
    return make.window(unit=make.unit(code="P101", name="省链接测试厅"), code="P101-W1", name="综合窗口")


@pytest.fixture
def public_base(app, monkeypatch):
    def set_base(value):
        monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", value)
    return set_base


def test_staff_pages_warn_while_the_public_address_is_unset(client, login, public_base):
    login("admin")
    public_base(None)
    assert BANNER in client.get("/dashboard").get_data(as_text=True)
    public_base("https://xn.example.gov.cn")
    assert BANNER not in client.get("/dashboard").get_data(as_text=True)


def test_citizens_never_see_the_warning(client, window, public_base):
    public_base(None)
    assert BANNER not in client.get(f"/s/{window.code}").get_data(as_text=True)


def _poster(client, window, tmp_path):
    response = client.get(f"/admin/surveys/windows/{window.code}/poster.pdf")
    assert response.status_code == 200
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(path), str(tmp_path / "poster")], check=True)
    return text, tmp_path / "poster.png"


def _decoded_qr(png):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(png))]


@pdftools
def test_poster_carries_the_public_link_and_no_specimen_mark(client, login, window, public_base, tmp_path):
    login("admin")
    public_base("https://xn.example.gov.cn/")
    text, png = _poster(client, window, tmp_path)
    assert "https://xn.example.gov.cn/s/P101-W1" in text and "样张" not in text
    assert _decoded_qr(png) == ["https://xn.example.gov.cn/s/P101-W1"]


@pdftools
def test_poster_without_a_public_address_is_a_specimen(client, login, window, public_base, tmp_path):
    login("admin")
    public_base(None)
    text, _png = _poster(client, window, tmp_path)
    assert "样张" in text and "指向本计算机" in text
