"""The register of issued documents (发文登记) and the issued copies, for the office."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request

from app.documents import operations
from app.documents.models import IssuedDocument
from app.kernel.extensions import db
from app.registry.auth import role_required

bp = Blueprint("documents", __name__, url_prefix="/admin/documents")
READERS = ("admin", "statistician")
KIND_LABELS = {"ranking_notice": "考核结果通报", "admonition": "效能告诫书"}


@bp.route("/")
@role_required(*READERS)
def register():
    year = request.args.get("year", type=int)
    return render_template("documents/register.html", documents=operations.register_rows(year), year=year,
                           kind_labels=KIND_LABELS)


@bp.route("/<int:document_id>.pdf")
@role_required(*READERS)
def issued_pdf(document_id):
    document = db.session.get(IssuedDocument, document_id) or abort(404)
    filename = f"{document.code} {document.title}.pdf"
    return Response(document.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"document-{document.id}.pdf\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
