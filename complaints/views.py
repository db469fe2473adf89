"""Citizen-facing case pages: the intake form, the receipt, and status by number + query code.

After filing or a successful lookup the query code is kept in the (signed)
session cookie, so it never appears in a URL, a log line or a Referer header.
"""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for

from app.kernel import ratelimit
from app.kernel.extensions import csrf, db
from app.kernel.links import public_url
from app.registry.models import Unit, Window
from app.kernel.pdf import render_pdf
from app.kernel.scheme import current_scheme
from complaints import attachments, letters, operations as ops
from complaints.deadlines import end_of_day
from complaints.forms import IntakeForm, LookupForm, RateForm
from complaints.models import RATING_LABELS
from app.kernel.text import text_problem

bp = Blueprint("cases", __name__, url_prefix="/cases")

GRANTS_KEPT = 10
CSRF_EXPIRED = "页面停留时间过长，安全校验已过期。您填写的内容已保留，请重新选择附件后再次提交。"


def _units():
    return db.session.scalars(sa.select(Unit).where(Unit.active).order_by(Unit.category, Unit.code)).all()


def _windows():
    stmt = (sa.select(Window).join(Unit).where(Window.active, Unit.active).order_by(Window.unit_id, Window.code))
    return db.session.scalars(stmt).all()


def _render_intake(form, status=200, notice=None):
    return render_template("complaints/new.html", form=form, units=_units(), windows=_windows(), notice=notice,
                           accept=attachments.ACCEPT,
                           description_max=current_scheme()["cases"]["description_max_chars"]), status


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so an expired page keeps what the citizen typed
def new():
    form = IntakeForm()
    if request.method == "GET":
        form.unit_code.data = _prefill("unit", 32)
        form.window_code.data = _prefill("window", 40)
        return _render_intake(form)
    if not form.validate():
        notice = CSRF_EXPIRED if "csrf_token" in form.errors else None
        return _render_intake(form, 400, notice)
    try:  # only complete forms count: a citizen correcting a mistake is not flooding
        ratelimit.hit("case_intake", message="提交太频繁，请稍后再试。您填写的内容已保留。")
    except ratelimit.TooFrequent as refusal:
        return _render_intake(form, refusal.status, refusal.message)
    try:
        uploads = attachments.check_uploads(request.files.getlist(form.attachments.name))
        case, code = ops.create_case(channel="web", **form.case_fields())
        attachments.store(case, uploads)
    except attachments.AttachmentError as error:
        form.attachments.errors = [error.message]
        return _render_intake(form, error.status)
    _grant(case.number, code)
    return redirect(url_for("cases.done", number=case.number))


def _prefill(name, length):
    """A query parameter to start a form with; text the form would refuse is dropped."""
    value = request.args.get(name, "")[:length]
    return "" if text_problem(value) else value


def _grant(number, code):
    """Remember a case the citizen has shown they own (last few only)."""
    grants = {k: v for k, v in session.get("cases", {}).items() if k != number}
    grants[number] = code
    session["cases"] = dict(list(grants.items())[-GRANTS_KEPT:])


def _granted_case(number):
    """(case, query code) if this browser holds the case's query code; otherwise the citizen is sent to
    the look-up form with the number filled in."""
    code = session.get("cases", {}).get(number)
    try:
        if code:
            return ops.find_case(number, code), code
    except ops.CaseError:
        pass
    abort(redirect(url_for("cases.lookup", number=number[:20])))


@bp.route("/done/<number>")
def done(number):
    case, code = _granted_case(number)
    return render_template("complaints/done.html", case=case, code=code)


@bp.route("/lookup", methods=["GET", "POST"])
def lookup():
    form = LookupForm()
    if request.method == "GET":
        form.number.data = _prefill("number", 20)
        return render_template("complaints/lookup.html", form=form)
    if not form.validate():
        return render_template("complaints/lookup.html", form=form), 400
    try:
        ratelimit.hit("case_lookup", message="查询太频繁，请稍后再试。")
    except ratelimit.TooFrequent as refusal:
        return render_template("complaints/lookup.html", form=form, notice=refusal.message), refusal.status
    try:
        case = ops.find_case(form.number.data, form.code.data)
    except ops.CaseError as error:
        return render_template("complaints/lookup.html", form=form, notice=error.message), error.status
    _grant(case.number, form.code.data.strip().upper())
    return redirect(url_for("cases.status", number=case.number))


@bp.route("/<number>")
def status(number):
    case, _code = _granted_case(number)
    return _render_status(case)


def _render_status(case, form=None, status=200, notice=None):
    form = form or RateForm()
    return render_template("complaints/status.html", case=case, form=form, notice=notice, rating_labels=RATING_LABELS,
                           end_of_day=end_of_day,
                           letters=letters.available(case)), status


@bp.route("/<number>/rate", methods=["POST"])
def rate(number):
    case, _code = _granted_case(number)
    form = RateForm()
    if not form.validate():
        return _render_status(case, form, 400)
    try:  # the transition table decides whether the case can be rated now
        outcome = ops.rate(case, form.rating.data)
    except ops.CaseError as error:
        return _render_status(case, form, error.status, error.message)
    flash("感谢您的评价，该件已办结。" if outcome == "closed" else "已收到您的评价，该件将重新办理（复查）。", "success")
    return redirect(url_for("cases.status", number=case.number))


@bp.route("/<number>/receipt.pdf")
def receipt(number):
    case, code = _granted_case(number)
    pdf = render_pdf("pdf/receipt.html", case=case, code=code, status_url=public_url("cases.lookup"),
                     issuer=current_scheme()["documents"]["issuer"])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"receipt-{case.number}.pdf\"",
        "X-Content-Type-Options": "nosniff"})


@bp.route("/<number>/letters/<kind>.pdf")
def letter(number, kind):
    case, _code = _granted_case(number)
    return letters.pdf_response(case, kind)


@bp.after_request
def _private(response):
    """Pages that show a query code or a reply stay out of caches and Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
