"""Attachments: images and PDFs checked by content, images re-encoded and PDFs rewritten without
metadata or active content, stored outside any served folder under random names, served only as downloads.

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
import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import current_scheme
from complaints.models import Attachment

MAX_PIXELS = 40_000_000  # a larger image is refused: decoding it would be a memory bomb
MAX_PDF_PAGES = 200
# Actions a stored PDF may keep: moves within the document. Every other kind (JavaScript, Launch, URI,
# SubmitForm, ImportData, GoToR, GoToE, Rendition, …) runs code, opens a file or calls out (tracking).
_SAFE_ACTIONS = {"/GoTo", "/Named"}
_ACTION_KINDS = _SAFE_ACTIONS | {
    "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie", "/Hide", "/SubmitForm",
    "/ResetForm", "/ImportData", "/JavaScript", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView",
    "/RichMediaExecute"}
# Annotations that carry a file or media of their own: dropped whole.
_EMBEDDING_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/Screen", "/3D"}
# Dropped from every dictionary: triggers (/AA), embedded and associated files (/EF, /AF), and who
# wrote the file with what (/Metadata, /PieceInfo: the citizen's name, often).
_DROPPED_KEYS = ("/AA", "/EF", "/AF", "/Metadata", "/PieceInfo")
_DROPPED_FROM_CATALOGUE = ("/OpenAction", "/Collection", "/Perms", "/Threads")
_CONTAINERS = (Dictionary, Array, Stream)

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_EXTENSIONS = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",)}
ACCEPT = ",".join(content_type for _, content_type in _SIGNATURES)


ENCRYPTED_PDF = "不支持加密或设有密码的 PDF 文件，请去除密码后上传。"
BROKEN_PDF = "PDF 文件不完整或已损坏，无法读取，请重新导出或扫描后上传。"


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
    """The PDF saved afresh without document information, metadata or active content (see _sanitise).
    A damaged file that qpdf can repair is kept as repaired; one it cannot read is refused."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise AttachmentError(ENCRYPTED_PDF)
            if not 0 < len(pdf.pages) <= MAX_PDF_PAGES:
                raise AttachmentError(f"PDF 文件不能超过{MAX_PDF_PAGES}页。" if len(pdf.pages) else BROKEN_PDF)
            _sanitise(pdf)
            out = io.BytesIO()
            pdf.save(out)  # writes only what the catalogue still reaches: removed objects are gone
    except AttachmentError:
        raise
    except pikepdf.PasswordError:
        raise AttachmentError(ENCRYPTED_PDF) from None
    except Exception:  # noqa: BLE001 — a parser of untrusted files fails in many ways; each is a bad file
        raise AttachmentError(BROKEN_PDF) from None
    return out.getvalue()


def _sanitise(pdf):
    """Remove what a PDF can do besides show its pages: document and page actions, the JavaScript and
    embedded-file name trees, XFA forms, file and media annotations, links that call out, metadata."""
    root = pdf.Root
    for key in _DROPPED_FROM_CATALOGUE:
        _drop(root, key)
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        _drop(names, "/JavaScript")
        _drop(names, "/EmbeddedFiles")
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        _drop(form, "/XFA")  # the fields stay (a filled-in form keeps its values), their scripts go below
    _drop(pdf.trailer, "/Info")
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if isinstance(annotations, Array):
            page.obj.Annots = Array([a for a in annotations if _keep_annotation(a)])
    _scrub(root)


def _scrub(root):
    """Visit everything the catalogue reaches once: drop _DROPPED_KEYS and every reference to an action
    that is not a move within the document (/A, /Next, /PA, name-tree leaves, …)."""
    seen, stack = set(), [root]
    while stack:  # a loop, not recursion: outlines and page trees can be thousands deep
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, Array):
            for i in reversed(range(len(obj))):
                if _is_unsafe_action(obj[i]):
                    del obj[i]
                elif isinstance(obj[i], _CONTAINERS):
                    stack.append(obj[i])
            continue
        for key in _DROPPED_KEYS:
            _drop(obj, key)
        for key in list(obj.keys()):
            value = obj[key]
            if _is_unsafe_action(value):
                del obj[key]
            elif isinstance(value, _CONTAINERS):
                stack.append(value)


def _keep_annotation(annotation):
    """False for file and media annotations, and for links whose action (or one it leads to) calls out."""
    if not isinstance(annotation, Dictionary) or str(annotation.get("/Subtype")) in _EMBEDDING_ANNOTATIONS:
        return False
    action = annotation.get("/A")
    return str(annotation.get("/Subtype")) != "/Link" or action is None or _moves_within(action)


def _moves_within(action, depth=0):
    """True if the action and every action after it (/Next) only moves within the document."""
    if depth > 50 or not _is_action(action) or _is_unsafe_action(action):
        return False
    after = action.get("/Next")
    return after is None or all(_moves_within(a, depth + 1) for a in (after if isinstance(after, Array) else [after]))


def _is_action(obj):
    return isinstance(obj, Dictionary) and (obj.get("/Type") == Name.Action or str(obj.get("/S")) in _ACTION_KINDS)


def _is_unsafe_action(obj):
    return _is_action(obj) and str(obj.get("/S")) not in _SAFE_ACTIONS


def _drop(obj, key):
    if key in obj:
        del obj[key]


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
