"""申诉复核 pages: a unit's liaison appeals its 差评 (/stats/appeals/), the office reviews and decides
(/stats/appeals/review); both see an appeal's page with its evidence."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.kernel.clock import local_date, local_text, local_today
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from app.registry.auth import role_required
from stats.web import appeals
from stats.web.forms import AppealDecisionForm, AppealForm
from stats.web.models import Appeal, AppealAttachment

bp = Blueprint("stats_appeals", __name__, url_prefix="/stats/appeals")
OFFICE = ("admin",)


@bp.context_processor
def _helpers():
    return {"local": local_text, "bad_items": appeals.bad_items,
            "rating_day": lambda response: local_date(response.submitted_at)}


@bp.route("/")
@role_required("liaison")
def index():
    unit = current_user.unit
    return render_template("stats/appeals.html", unit=unit, open_ratings=appeals.appealable(unit, local_today()),
                           appeals=appeals.unit_appeals(unit), days=current_scheme()["appeals"]["days"])


def _rating_row(public_id):
    row = next((r for r in appeals.appealable(current_user.unit, local_today())
                if r["response"].public_id == public_id), None)
    if row is None:
        abort(404)
    return row


@bp.route("/new", methods=["GET", "POST"])
@role_required("liaison")
def new():
    form = AppealForm()
    if request.method == "GET":
        form.response.data = request.args.get("response", "")[:32]
        return _new_page(form)
    if not form.validate_on_submit():
        return _new_page(form, 400)
    files = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
    try:
        appeal = appeals.lodge(current_user.unit, form.response.data, current_user, form.reason.data, files,
                               local_today())
    except appeals.AppealError as error:
        if error.status == 404:
            abort(404)
        return _new_page(form, error.status, error.message)
    flash("申诉已提交，效能办复核后将通知本单位。", "success")
    return redirect(url_for("stats_appeals.detail", appeal_id=appeal.id))


def _new_page(form, status=200, notice=None):
    row = _rating_row(form.response.data or "")
    return render_template("stats/appeal_new.html", form=form, row=row, notice=notice,
                           rules=current_scheme()["appeals"]), status


@bp.route("/review")
@role_required(*OFFICE)
def review():
    return render_template("stats/appeal_review.html", appeals=appeals.pending_appeals())


def _visible(appeal_id):
    appeal = db.get_or_404(Appeal, appeal_id)
    if current_user.role == "liaison" and appeal.unit_id != current_user.unit_id:
        abort(404)
    return appeal


@bp.route("/<int(max=2147483647):appeal_id>")
@role_required("liaison", *OFFICE)
def detail(appeal_id):
    appeal = _visible(appeal_id)
    return render_template("stats/appeal.html", appeal=appeal, form=AppealDecisionForm())


@bp.route("/<int(max=2147483647):appeal_id>/decide", methods=["POST"])
@role_required(*OFFICE)
def decide(appeal_id):
    appeal = db.get_or_404(Appeal, appeal_id)
    form = AppealDecisionForm()
    if not form.validate_on_submit():
        return render_template("stats/appeal.html", appeal=appeal, form=form), 400
    appeals.decide(appeal, current_user, form.upheld.data == "yes", form.note.data)
    flash(f"已作出复核结论：{appeal.status_label}，并已通知该单位。", "success")
    return redirect(url_for("stats_appeals.detail", appeal_id=appeal.id), 303)


@bp.route("/<int(max=2147483647):appeal_id>/files/<int(max=2147483647):file_id>")
@role_required("liaison", *OFFICE)
def attachment(appeal_id, file_id):
    appeal = _visible(appeal_id)
    item = db.session.get(AppealAttachment, file_id)
    if item is None or item.appeal_id != appeal.id:
        abort(404)
    return Response(item.data, mimetype=item.mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"evidence-{item.id}\"; filename*=UTF-8''{quote(item.filename)}",
        "Content-Security-Policy": "sandbox; default-src 'none'", "Cache-Control": "private, no-store"})
