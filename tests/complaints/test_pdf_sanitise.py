"""Uploaded PDFs lose their active content (issue 8, failure 5): a PDF carrying document and page
actions, a JavaScript name tree, links that run script, launch programs, call out or submit, embedded
files, a file-attachment annotation and an XFA form goes in through the citizen form; the stored file
keeps its pages, its text and its internal links, and none of the rest."""
import io
import os
import shutil
import subprocess

import pikepdf
import pytest
import sqlalchemy as sa
from pikepdf import Array, Dictionary, Name, String
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage

from app.kernel.extensions import db
from complaints.models import Attachment, Case
from tests.complaints.conftest import file_case, intake_data, post_multipart

CALLING_OUT = ("/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR")


def _action(kind, **entries):
    return Dictionary(Type=Name.Action, S=Name("/" + kind), **entries)


def _script(code):
    return _action("JavaScript", JS=String(code))


def _pages(pdf):
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    for n in (1, 2):
        pdf.add_blank_page(page_size=(300, 300))
        page = pdf.pages[-1]
        page.Resources = Dictionary(Font=Dictionary(F1=font))
        page.Contents = pdf.make_stream(f"BT /F1 20 Tf 30 150 Td (EVIDENCE PAGE {n}) Tj ET".encode())
    return pdf.pages[0], pdf.pages[1]


def _hostile_pdf():
    """Two pages of text and every kind of active content the sanitiser must remove."""
    pdf = pikepdf.new()
    first, second = _pages(pdf)
    go_to_second = Array([second.obj, Name.Fit])
    pdf.Root.OpenAction = pdf.make_indirect(_script("app.alert('open')"))
    pdf.Root.AA = Dictionary(WC=_script("app.alert('close')"))
    first.AA = Dictionary(O=_script("app.alert('page')"))
    rect = Array([10, 10, 60, 60])
    link = lambda action: pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=rect, A=action))  # noqa: E731
    annotations = [link(action) for action in (
        _script("app.launchURL('http://tracker.example/js')"),
        _action("Launch", F=String("cmd.exe")),
        _action("URI", URI=String("http://tracker.example/pixel")),
        _action("SubmitForm", F=String("http://tracker.example/submit")),
        _action("ImportData", F=String("data.fdf")),
        _action("GoToR", F=String("other.pdf"), D=Array([0, Name.Fit])),
        _action("GoTo", D=go_to_second, Next=_script("app.alert('chained')")),  # harmless first, then script
    )]
    annotations.append(link(_action("GoTo", D=go_to_second)))  # an internal link: kept
    annotations.append(pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=rect,
                                                    Contents=String("note"), AA=Dictionary(E=_script("app.alert(1)")))))
    payload = pdf.make_stream(b"MZ pretend program", Type=Name.EmbeddedFile)
    filespec = pdf.make_indirect(Dictionary(Type=Name.Filespec, F=String("payload.exe"), EF=Dictionary(F=payload)))
    annotations.append(pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=rect,
                                                    FS=filespec)))
    first.Annots = Array(annotations)
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), _script("app.alert('tree')")])),
                                EmbeddedFiles=Dictionary(Names=Array([String("payload.exe"), filespec])))
    field = pdf.make_indirect(Dictionary(FT=Name.Tx, T=String("name"), V=String("filled in"),
                                         AA=Dictionary(K=_script("app.alert('key')"))))
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(b"<xdp:xdp><script/></xdp:xdp>"))
    bookmark = pdf.make_indirect(Dictionary(Title=String("bookmark"), A=_script("app.alert('outline')")))
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=bookmark, Last=bookmark, Count=1))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _active_content(data):
    """What of the above a PDF holds, looking at every object in the file (reachable or not)."""
    found = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stack = list(pdf.objects) + [pdf.trailer]  # every indirect object; direct ones are walked into
        while stack:
            obj = stack.pop()
            if isinstance(obj, Array):
                stack.extend(_direct(obj))
            elif isinstance(obj, (Dictionary, pikepdf.Stream)):
                found.update(_findings(obj))
                stack.extend(_direct(obj[key] for key in obj.keys()))
    return found


def _direct(items):
    return [item for item in items if isinstance(item, (Array, Dictionary, pikepdf.Stream)) and not item.is_indirect]


def _findings(obj):
    if str(obj.get("/S")) in CALLING_OUT:
        yield str(obj.get("/S"))
    yield from (key for key in ("/JS", "/AA", "/OpenAction", "/EmbeddedFiles", "/XFA", "/EF", "/Info") if key in obj)
    if obj.get("/Type") == Name.EmbeddedFile:
        yield "/EmbeddedFile"
    if obj.get("/Subtype") == Name.FileAttachment:
        yield "/FileAttachment"


EVERYTHING = {*CALLING_OUT, "/JS", "/AA", "/OpenAction", "/EmbeddedFiles", "/XFA", "/EF", "/EmbeddedFile",
              "/FileAttachment"}


def _file(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


def _stored(app):
    item = db.session.scalars(sa.select(Attachment)).one()
    with open(os.path.join(app.config["UPLOAD_FOLDER"], "cases", item.stored_name), "rb") as fh:
        return fh.read()


def test_no_active_content_survives_the_upload(app, client, unit, tmp_path):
    original = _hostile_pdf()
    assert _active_content(original) >= EVERYTHING  # the test file carries every kind
    file_case(client, unit, attachments=[_file(original, "证据.pdf")])
    stored = _stored(app)
    assert _active_content(stored) == set()
    for trace in (b"tracker.example", b"cmd.exe", b"payload.exe", b"app.alert", b"xdp:xdp"):
        assert trace not in stored

    with pikepdf.open(io.BytesIO(stored)) as pdf:
        assert len(pdf.pages) == 2
        kept = pdf.pages[0].Annots
        assert [str(a.Subtype) for a in kept] == ["/Link", "/Text"]  # the internal link and the note
        assert kept[0].A.S == Name.GoTo and kept[0].A.D[0].objgen == pdf.pages[1].obj.objgen
        assert str(pdf.Root.AcroForm.Fields[0].V) == "filled in"
        assert str(pdf.Root.Outlines.First.Title) == "bookmark" and "/A" not in pdf.Root.Outlines.First
    assert len(PdfReader(io.BytesIO(stored)).pages) == 2
    if shutil.which("pdftotext"):
        path = tmp_path / "stored.pdf"
        path.write_bytes(stored)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
        assert "EVIDENCE PAGE 1" in text and "EVIDENCE PAGE 2" in text


def _without_pages():
    pdf = pikepdf.new()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n" + b"\x00garbage" * 40,
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n",  # a page tree without pages
    _without_pages(),
], ids=["garbage", "broken-page-tree", "no-pages"])
def test_a_malformed_pdf_is_refused_in_chinese(app, client, unit, data):
    response = post_multipart(client, "/cases/new", intake_data(client, unit, attachments=[_file(data, "坏.pdf")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "PDF 文件不完整或已损坏，无法读取" in page
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0
