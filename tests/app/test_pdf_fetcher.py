"""The PDF renderer fetches nothing but the static folder and data: URIs, whatever the case of the
scheme: hostile URLs in a rendered page reach neither the network nor another local file."""
import base64
import io
import socket
import threading

import pytest
from PIL import Image
from pypdf import PdfReader

from app.kernel.pdf import html_to_pdf


def _png(colour):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def listener():
    """A TCP port that counts every connection made to it (HTTP, FTP or anything else)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def static(app, tmp_path, monkeypatch):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "seal.png").write_bytes(_png("red"))
    monkeypatch.setattr(app, "static_folder", str(folder))
    return folder


def _images(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return sum(len(page.images) for page in reader.pages), dict(reader.attachments)


def test_only_static_files_and_data_uris_are_embedded(app, static, tmp_path, listener):
    port, accepted = listener
    secret = tmp_path / "secret.png"  # outside the static folder
    secret.write_bytes(_png("blue"))
    (tmp_path / "secret.txt").write_text("不该出现的内容")
    data_uri = "data:image/png;base64," + base64.b64encode(_png("green")).decode()
    hostile = [f"{scheme}://{secret}" for scheme in ("FILE", "File", "file", "fIlE")] + [
        f"file://localhost{secret}", f"file://127.0.0.1:{port}{static}/seal.png",
        f"http://127.0.0.1:{port}/x.png", f"HTTP://127.0.0.1:{port}/x.png", f"//127.0.0.1:{port}/x.png",
        f"ftp://127.0.0.1:{port}/x.png", f"{static}/../secret.png", "../secret.png"]
    blocks = "".join(
        f'<img src="{url}"><div style="width:4px;height:4px;background:url(\'{url}\')"></div>'
        f'<link rel="stylesheet" href="{url}">' for url in hostile)
    html = f"""<html><head><style>@import url("http://127.0.0.1:{port}/a.css");
      @font-face {{ font-family: X; src: url("FILE://{secret}"); }}</style>
      <link rel="attachment" href="FILE://{tmp_path}/secret.txt">
      <link rel="attachment" href="http://127.0.0.1:{port}/leak.txt"></head>
      <body><p style="font-family: X">公告</p>{blocks}
      <img src="seal.png"><img src="{data_uri}"></body></html>"""
    with app.test_request_context():
        pdf = html_to_pdf(html)
    images, attachments = _images(pdf)
    assert images == 2  # the static seal and the data: URI, nothing else
    assert attachments == {}
    assert accepted == []


def test_a_file_url_with_a_host_is_refused_even_for_a_static_path(app, static):
    with app.test_request_context():
        pdf = html_to_pdf(f'<img src="file://example.invalid{static}/seal.png">')
    assert _images(pdf) == (0, {})
