"""Attachments: checked by content, cleaned of metadata, stored privately, served only to the case's staff."""
import io
import os
import struct
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject
from werkzeug.datastructures import FileStorage

from app.kernel.extensions import db
from complaints import attachments, operations as ops
from complaints.models import Attachment, Case
from tests.complaints.conftest import file_case, intake_data, post_multipart


def _jpeg_with_location():
    exif = Image.Exif()
    exif[0x010E] = "my house"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (31.0, 52.0, 7.0)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png(size=(20, 20), mode="RGBA"):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 31.87N 117.28E")
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 200) if mode == "RGBA" else 0).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _pdf(author="", pages=1, password=None):
    """A PDF with `pages` blank pages, its Info naming `author` and an XMP stream (document and page)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    if author:
        writer.add_metadata({"/Author": author, "/Creator": "扫描仪 of " + author, "/Title": author + "的材料",
                             "/Subject": "s", "/Keywords": "k", "/Producer": "p"})
        xmp = DecodedStreamObject()
        xmp.set_data(f"<x:xmpmeta><dc:creator>{author}</dc:creator></x:xmpmeta>".encode())
        xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
        writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
        writer.pages[0][NameObject("/Metadata")] = writer._add_object(xmp)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()


def _file(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


def _folder(app):
    return os.path.join(app.config["UPLOAD_FOLDER"], "cases")


def _stored_files(app):
    folder = _folder(app)
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def _download(client, url):
    """GET a file response and close it (send_file streams from an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _case_count():
    return db.session.scalar(sa.select(sa.func.count(Case.id)))


def test_image_is_stored_without_metadata_under_a_random_name(app, client, unit, login):
    original = _jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    number, _code = file_case(client, unit, attachments=[_file(original, "现场照片.JPG"), _file(_png(), "图.png")])
    stored = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
    assert [a.original_name for a in stored] == ["现场照片.JPG", "图.png"]
    assert [a.content_type for a in stored] == ["image/jpeg", "image/png"]
    for item in stored:
        path = os.path.join(_folder(app), item.stored_name)
        assert len(item.stored_name) == 32 and os.path.isfile(path)
        assert not os.path.realpath(path).startswith(os.path.realpath(app.static_folder))
        with open(path, "rb") as fh:
            data = fh.read()
        assert b"Exif" not in data and b"my house" not in data and b"31.87N" not in data
        assert not Image.open(io.BytesIO(data)).getexif()
    db.session.commit()

    login("handler")
    response = _download(client, f"/staff/cases/{number}/attachments/{stored[0].id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.JPG" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "现场照片.JPG" in client.get(f"/staff/cases/{number}").data.decode()


@pytest.mark.parametrize("files, status, message", [
    ([(b"MZ\x90\x00\x03" + b"\x00" * 200, "photo.jpg")], 400, "不是 JPG、PNG 图片或 PDF 文件"),
    ([(b"#!/bin/sh\nrm -rf /\n", "x.png")], 400, "不是 JPG、PNG 图片或 PDF 文件"),
    ([(b"\xff\xd8\xff\xe0" + b"garbage" * 50, "broken.jpg")], 400, "图片文件已损坏"),
    ([(b"%PDF-1.4\n" + b"x" * 100, "cut.pdf")], 400, "PDF 文件不完整"),
    ([(b"", "empty.jpg")], 400, "不是 JPG、PNG 图片或 PDF 文件"),
    ([(_png(), f"{i}.png") for i in range(6)], 400, "最多上传5个附件"),
    ([(b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "big.jpg")], 413, "超过5MB"),
    # A good file first, then a bad one: nothing of either is kept.
    ([(_png(), "ok.png"), (b"MZ" + b"\x00" * 100, "evil.pdf")], 400, "不是 JPG、PNG 图片或 PDF 文件"),
])
def test_bad_attachment_is_refused_and_nothing_is_stored(app, client, unit, files, status, message):
    before = _stored_files(app)
    data = intake_data(client, unit, attachments=[_file(content, name) for content, name in files])
    response = post_multipart(client, "/cases/new", data)
    assert response.status_code == status and message in response.data.decode()
    assert _case_count() == 0 and _stored_files(app) == before
    assert "窗口工作人员态度生硬" in response.data.decode()  # what was typed is kept


def test_huge_image_dimensions_are_refused_before_decoding(client, unit):
    png = bytearray(_png((2, 2), "L"))
    ihdr = png.index(b"IHDR")
    png[ihdr + 4: ihdr + 12] = struct.pack(">II", 20000, 20000)
    png[ihdr + 17: ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(png[ihdr: ihdr + 17])))
    response = post_multipart(client, "/cases/new", intake_data(client, unit, attachments=[_file(bytes(png), "bomb.png")]))
    assert response.status_code == 400 and "图片" in response.data.decode()
    assert _case_count() == 0


def test_path_in_the_file_name_is_only_a_display_name(app, client, unit):
    number, _code = file_case(client, unit, attachments=[_file(_png(), "../../x.png"),
                                                         _file(PDF, "..\\..\\证明材料.pdf")])
    names = db.session.scalars(sa.select(Attachment.original_name).order_by(Attachment.id)).all()
    assert names == ["x.png", "证明材料.pdf"]
    root = app.config["UPLOAD_FOLDER"]
    assert not os.path.exists(os.path.join(root, "x.png")) and not os.path.exists(os.path.join(root, "..", "x.png"))
    assert number


@pytest.mark.parametrize("name, shown", [
    ("evil.exe", "evil.exe.png"), ("noext", "noext.png"), ("..", "附件.png"), ("a\x00b\n.png", "ab.png"),
])
def test_display_name_ends_as_the_content_does(name, shown):
    assert attachments._with_extension(attachments.display_name(name), "image/png") == shown


def test_pdf_is_kept_without_metadata_and_served_as_a_download(client, unit, login):
    original = _pdf(author="李雷", pages=2)
    assert PdfReader(io.BytesIO(original)).metadata["/Author"] == "李雷" and "李雷".encode() in original
    number, _code = file_case(client, unit, attachments=[_file(original, "营业执照.pdf")])
    item = db.session.scalars(sa.select(Attachment)).one()
    db.session.commit()
    login("handler")
    response = _download(client, f"/staff/cases/{number}/attachments/{item.id}")
    assert response.mimetype == "application/pdf" and "attachment" in response.headers["Content-Disposition"]
    served = PdfReader(io.BytesIO(response.data))
    assert len(served.pages) == 2 and not served.metadata
    assert "/Metadata" not in served.trailer["/Root"] and "/Metadata" not in served.pages[0]
    for trace in ("李雷".encode(), "李雷".encode("utf-16-be"), b"xmpmeta", b"/Author", b"/Creator", b"/Title",
                  b"/Subject", b"/Keywords", b"/Producer"):
        assert trace not in response.data
    assert item.size == len(response.data)


def test_encrypted_or_oversized_pdf_is_refused(client, unit):
    for data, message in ((_pdf(password="secret"), "不支持加密"), (_pdf(pages=201), "不能超过200页")):
        response = post_multipart(client, "/cases/new", intake_data(client, unit, attachments=[_file(data, "a.pdf")]))
        assert response.status_code == 400 and message in response.data.decode()
    assert _case_count() == 0


def test_only_staff_of_the_case_may_download(client, unit, make, login):
    number, _code = file_case(client, unit, attachments=[_file(_png(), "a.png")])
    case = db.session.scalars(sa.select(Case)).one()
    item = db.session.scalars(sa.select(Attachment)).one()
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    other_unit = make.unit()
    db.session.commit()
    url = f"/staff/cases/{number}/attachments/{item.id}"
    assert client.get(url).status_code == 302  # the citizen (not signed in) is sent to sign in
    login("liaison", unit=other_unit)
    assert client.get(url).status_code == 404
    login("liaison", unit=unit)
    assert _download(client, url).status_code == 200
    assert client.get(f"/staff/cases/{number}/attachments/{item.id + 999}").status_code == 404
    assert client.get(f"/staff/cases/{number}/attachments/{10 ** 30}").status_code == 404


def test_another_units_attachment_is_not_served_under_ones_own_case(client, unit, make, login):
    """Liaison A asks for B's attachment id under A's own case number: the id alone must not open it."""
    other_unit = make.unit()
    handler = make.user("handler")
    own, _ = file_case(client, unit, attachments=[_file(_png(), "mine.png")])
    foreign, _ = file_case(client, unit, attachments=[_file(_jpeg_with_location(), "theirs.jpg")])
    for number, target in ((own, unit), (foreign, other_unit)):
        case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
        ops.accept(case, handler)
        ops.assign(case, handler, target)
    theirs = db.session.scalars(sa.select(Attachment).join(Case).where(Case.number == foreign)).one()
    mine = db.session.scalars(sa.select(Attachment).join(Case).where(Case.number == own)).one()
    db.session.commit()
    login("liaison", unit=unit)
    assert _download(client, f"/staff/cases/{own}/attachments/{mine.id}").status_code == 200
    response = client.get(f"/staff/cases/{own}/attachments/{theirs.id}")
    assert response.status_code == 404 and b"theirs" not in response.data
    assert client.get(f"/staff/cases/{foreign}/attachments/{theirs.id}").status_code == 404


def test_files_written_in_a_transaction_that_rolls_back_are_removed(app, unit):
    case, _code = ops.create_case(kind="complaint", unit=unit, description="x", anonymous=True)
    uploads = attachments.check_uploads([_file(_png(), "a.png")])
    attachments.store(case, uploads)
    path = os.path.join(_folder(app), db.session.scalars(sa.select(Attachment.stored_name)).one())
    assert os.path.exists(path)
    db.session.rollback()
    assert not os.path.exists(path)
