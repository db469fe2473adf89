"""The citizen's rating page of one service, /r/<token>, and its QR code (SVG, PNG)."""
from flask import Blueprint, abort, redirect, render_template, request, url_for

from app.kernel.clock import local_text
from app.kernel.extensions import csrf
from app.kernel.qr import qr_png, qr_svg
from app.kernel.scheme import current_scheme
from surveys import operations as survey_ops
from surveys.forms import build_questionnaire_form
from surveys.models import Group
from surveys.services import operations as ops
from surveys.tickets import CSRF_EXPIRED, TICKET_STALE, new_ticket, read_ticket

bp = Blueprint("services", __name__)


def _page(record, form=None, status=200, notice=None, state=None):
    if form is not None and not form.ticket.data:
        form.ticket.data = new_ticket()
    return render_template("services/rate.html", record=record, form=form, notice=notice, state=state,
                           finished=local_text(record.finished_at),
                           comment_max=current_scheme()["intake"]["comment_max_chars"]), status


def _closed(record, error):
    """Why this service takes no rating (rated, expired, campaign closed): said on the page itself. A post
    on a rated service (a double tap, a replay, a second phone) goes to that page: the first rating stands."""
    rated = isinstance(error, ops.AlreadyRated)
    if rated and request.method == "POST":  # the same page posted again (a double tap) is thanked again
        ticket = read_ticket(request.form.get("ticket"))
        again = ticket is not None and record.response is not None and record.response.ticket_hash == ticket[0]
        return redirect(url_for("services.rate", token=request.view_args["token"], done=1 if again else None), 303)
    ok = rated or (request.method == "GET" and error.status == 403)
    state = ("thanked" if request.args.get("done") else "rated") if rated else "closed"
    return _page(record, status=200 if ok else error.status, notice=error.message, state=state)


@bp.route("/r/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token so that an expired one keeps the answers (as on /s/)
def rate(token):
    try:
        record = ops.by_token(token)
    except ops.ServiceError as error:
        return render_template("surveys/refused.html", message=error.message), 404
    try:
        campaign = ops.check_rateable(record)
    except (ops.ServiceError, ops.AlreadyRated, survey_ops.SurveyError) as error:
        return _closed(record, error)
    form = build_questionnaire_form(campaign.questionnaire_for(Group.nonfixed),
                                    current_scheme()["intake"]["comment_max_chars"])
    if request.method == "GET":
        return _page(record, form)
    if not form.validate():
        return _page(record, form, 400, notice=CSRF_EXPIRED if "csrf_token" in form.errors else None)
    ticket = read_ticket(form.ticket.data)
    if ticket is None:
        form.ticket.data = None
        return _page(record, form, 400, notice=TICKET_STALE)
    try:
        ops.rate(record, levels=form.levels(), comment=form.comment.data or "", duration_s=ticket[1],
                 ticket_hash=ticket[0])
    except (ops.AlreadyRated, survey_ops.AlreadyAnswered):
        pass  # a double tap or a second device: the first rating stands, and the page says so
    except (ops.ServiceError, survey_ops.SurveyError) as error:
        return _page(record, form, error.status, notice=error.message)
    return redirect(url_for("services.rate", token=token, done=1), 303)


@bp.route("/r/<token>/qr.<fmt>")
def rating_qr(token, fmt):
    """The rating link as a QR code, for the window's screen or a printed slip; only while it is valid."""
    if fmt not in ("svg", "png"):
        abort(404)
    try:
        record = ops.by_token(token)
    except ops.ServiceError:
        abort(404)
    if ops.status(record) == ops.EXPIRED:
        abort(410)
    link = ops.links(record)["rating_url"]
    if fmt == "svg":
        return qr_svg(link), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "private, max-age=3600"}
    return qr_png(link), 200, {"Content-Type": "image/png", "Cache-Control": "private, max-age=3600"}


@bp.after_request
def _no_referrer(response):
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
