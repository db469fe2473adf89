"""Attachments: images and PDFs checked by content, images re-encoded and PDFs rewritten without
metadata, stored outside any served folder under random names, served only as downloads.

Checks run on every file before anything is stored; files written during a
request that then rolls back are removed again, so nothing is kept half-way.
"""
import hashlib
import io
import os
import secrets
import unicodedata
import warnings
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, send_file
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import current_scheme
from complaints.models import Attachment

MAX_PIXELS = 40_000_000  # a larger image is refused: decoding it would be a memory bomb
MAX_PDF_PAGES = 200
# Who wrote a PDF and with what (the citizen's name, often): dropped from every object that has them.
_PDF_METADATA = ("/Metadata", "/PieceInfo")

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_EXTENSIONS = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",)}
ACCEPT = ",".join(content_type for _, content_type in _SIGNATURES)


class AttachmentError(Refusal):
    """An upload refused for its size, count or content."""


@dataclass(frozen=True)
class Upload:
    original_name: str
    content_type: str
    data: bytes


def sniff(data):
    """The content type from the first bytes, or None: the file name is never trusted."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def display_name(filename):
    """The name to show: the last path part, control characters dropped, Chinese kept."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:100] or "附件"


def _with_extension(name, content_type):
    """Make the shown name end as its content does, so a download never opens as something else."""
    extensions = _EXTENSIONS[content_type]
    return name if name.lower().endswith(extensions) else f"{name}{extensions[0]}"


def _reencode(data, content_type):
    """Decode and encode the image afresh: EXIF (location), comments and anything appended are gone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise AttachmentError("图片尺寸过大。")
            image = ImageOps.exif_transpose(image)  # keep the picture upright once orientation is dropped
            has_alpha = content_type == "image/png" and ("A" in image.getbands() or "transparency" in image.info)
            clean = image.convert("RGBA" if has_alpha else "RGB")
    except AttachmentError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise AttachmentError("图片文件已损坏或格式不受支持。") from None
    clean.info = {}
    out = io.BytesIO()
    clean.save(out, _FORMATS[content_type], **({"quality": 85} if content_type == "image/jpeg" else {}))
    return out.getvalue()


def _rewrite_pdf(data):
    """The pages copied into a new PDF: no document information (Author, Creator, Producer, Title,
    Subject, Keywords), no XMP streams on any object the pages reach, and nothing of the old catalogue
    (document scripts, open actions, form definitions)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentError("不支持加密或设有密码的 PDF 文件，请去除密码后上传。")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise AttachmentError(f"PDF 文件不能超过{MAX_PDF_PAGES}页。")
        writer, seen = PdfWriter(), set()
        for page in reader.pages:
            _drop_metadata(page, seen)  # before copying: the writer copies only what the page still reaches
            writer.add_page(page)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except AttachmentError:
        raise
    except Exception:  # noqa: BLE001 — a parser of untrusted files fails in many ways; each is a bad file
        raise AttachmentError("PDF 文件不完整或已损坏。") from None
    return out.getvalue()


def _drop_metadata(node, seen):
    """Remove metadata entries from `node` and every dictionary reachable from it (each visited once)."""
    if isinstance(node, IndirectObject):
        if node.idnum in seen:
            return
        seen.add(node.idnum)
        node = node.get_object()
    if isinstance(node, DictionaryObject):
        for key in _PDF_METADATA:
            node.pop(key, None)
        children = [value for key, value in node.items() if key != "/Parent"]
    elif isinstance(node, ArrayObject):
        children = list(node)
    else:
        return
    for child in children:
        _drop_metadata(child, seen)


def check_uploads(files):
    """Read, check and clean every uploaded file; returns [Upload]. Raises AttachmentError."""
    rules = current_scheme()["cases"]
    max_count, max_bytes = rules["attachment_max_count"], rules["attachment_max_mb"] * 1024 * 1024
    files = [f for f in files if f and f.filename]
    if len(files) > max_count:
        raise AttachmentError(f"最多上传{max_count}个附件。")
    uploads = []
    for file in files:
        name = display_name(file.filename)
        data = file.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise AttachmentError(f"附件“{name}”超过{rules['attachment_max_mb']}MB。", 413)
        content_type = sniff(data)
        if not data or content_type is None:
            raise AttachmentError(f"附件“{name}”不是 JPG、PNG 图片或 PDF 文件（按文件内容识别）。")
        data = _rewrite_pdf(data) if content_type == "application/pdf" else _reencode(data, content_type)
        uploads.append(Upload(_with_extension(name, content_type), content_type, data))
    return uploads


def _folder():
    folder = os.path.join(current_app.config["UPLOAD_FOLDER"], "cases")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def store(case, uploads):
    """Write checked uploads to disk and record them; flushes."""
    folder = _folder()
    pending = db.session.info.setdefault("case_files", [])
    for upload in uploads:
        stored_name = secrets.token_hex(16)
        path = os.path.join(folder, stored_name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.data)
        pending.append(path)
        db.session.add(Attachment(case_id=case.id, stored_name=stored_name, original_name=upload.original_name,
                                  content_type=upload.content_type, size=len(upload.data),
                                  sha256=hashlib.sha256(upload.data).hexdigest()))
    db.session.flush()


@sa.event.listens_for(so.Session, "after_commit")
def _keep_files(session):
    session.info.pop("case_files", None)


@sa.event.listens_for(so.Session, "after_rollback")
def _drop_files(session):
    for path in session.info.pop("case_files", []):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def download(attachment):
    """The file as a download: nosniff, sandboxed, RFC 6266 file name (filename*=UTF-8'')."""
    response = send_file(os.path.join(_folder(), attachment.stored_name), mimetype=attachment.content_type,
                         as_attachment=True, download_name=attachment.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
