"""The hall pad's pages, /kiosk/: enrolment with a one-time code, then the window's questionnaire again
and again, each citizen's answers cleared after submission or when left alone. No personal data: no
phone field, no complaint form on the shared pad (the thank-you page points to the window's QR code)."""
from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from app.kernel import ratelimit
from app.kernel.clock import local_today
from app.kernel.extensions import csrf
from app.kernel.scheme import current_scheme
from surveys import operations as survey_ops
from surveys.forms import build_questionnaire_form
from surveys.kiosk import operations as ops
from surveys.kiosk.forms import EnrolForm
from surveys.models import Group
from surveys.tickets import CSRF_EXPIRED, TICKET_STALE, new_ticket, read_ticket

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

PAD_COOKIE = "xn_pad"
NOT_A_PAD = "本设备尚未启用为评价平板，请管理员生成启用码后在本机输入。"


def _settings():
    return current_scheme()["kiosk"]


def _keep_credential(response, credential):
    """The pad's credential, first-party and unreadable by scripts; its life starts again at every use."""
    response.set_cookie(PAD_COOKIE, credential, max_age=_settings()["credential_days"] * 86400, path="/kiosk/",
                        httponly=True, samesite="Strict", secure=request.is_secure)
    return response


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    form = EnrolForm()
    if not form.is_submitted():
        return render_template("kiosk/enrol.html", form=form)
    if not form.validate():
        return render_template("kiosk/enrol.html", form=form), 400
    try:  # enrolment codes are short: guessing them meets the limit first
        ratelimit.hit("kiosk_enrol", message="启用码尝试次数过多，请稍后再试。")
        _pad, credential = ops.enrol(form.code.data)
    except ratelimit.TooFrequent as refusal:
        return render_template("kiosk/enrol.html", form=form, notice=refusal.message), refusal.status
    except ops.PadError as error:
        return render_template("kiosk/enrol.html", form=form, notice=error.message), error.status
    return _keep_credential(redirect(url_for("kiosk.questionnaire")), credential)


def _refused(error, ok=False, retry=True):
    """Why the pad takes no answers now; it looks again by itself after the idle time (a campaign that
    opens, an hour's limit that passes)."""
    page = render_template("kiosk/refused.html", message=error.message,
                           retry_s=_settings()["idle_reset_s"] if retry else None)
    return page, 200 if ok else error.status


@bp.route("/", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so that an expired one keeps the answers (as on /s/)
def questionnaire():
    credential = request.cookies.get(PAD_COOKIE)
    try:
        pad = ops.pad_of(credential)
    except ops.PadError as error:
        response = make_response(_refused(error, retry=False))
        response.delete_cookie(PAD_COOKIE, path="/kiosk/")
        return response
    if pad is None:
        if request.method == "GET":
            return redirect(url_for("kiosk.enrol"))
        return _refused(ops.PadError(NOT_A_PAD, 403), retry=False)
    try:
        window = survey_ops.active_window(pad.window.code)
        campaign = survey_ops.current_campaign(local_today())
        survey_ops.check_open(campaign, local_today())
    except survey_ops.SurveyError as error:
        return _refused(error, ok=request.method == "GET" and error.status == 403)
    questionnaire = campaign.questionnaire_for(Group.nonfixed)
    form = build_questionnaire_form(questionnaire, _comment_max())
    context = {"questionnaire": questionnaire, "window": window, "pad": pad}
    if request.method == "GET":
        ops.seen(pad)
        return _keep_credential(make_response(_render(form, **context)), credential)
    return _submit(pad, campaign, form, context)


def _submit(pad, campaign, form, context):
    if not form.validate():
        notice = CSRF_EXPIRED if "csrf_token" in form.errors else None
        return _render(form, 400, notice=notice, **context)
    ticket = read_ticket(form.ticket.data)
    if ticket is None:
        form.ticket.data = None
        return _render(form, 400, notice=TICKET_STALE, **context)
    ticket_hash, duration_s = ticket
    if survey_ops.answered(ticket_hash) is not None:
        return redirect(url_for("kiosk.thanks"))
    try:
        ops.submit_at_pad(pad, campaign, secret=current_app.secret_key,
                          limit=current_scheme()["intake"]["pad_rate_limit"], levels=form.levels(),
                          comment=form.comment.data or "", duration_s=duration_s, ticket_hash=ticket_hash)
    except survey_ops.AlreadyAnswered:
        return redirect(url_for("kiosk.thanks"))
    except survey_ops.SurveyError as error:
        return _render(form, error.status, notice=error.message, **context)
    return redirect(url_for("kiosk.thanks"))


def _comment_max():
    return current_scheme()["intake"]["comment_max_chars"]


def _render(form, status=200, **context):
    if not form.ticket.data:
        form.ticket.data = new_ticket()
    return render_template("kiosk/questionnaire.html", form=form, comment_max=_comment_max(),
                           idle_s=_settings()["idle_reset_s"], warn_s=_settings()["idle_warning_s"],
                           poll_s=_settings()["service_poll_s"], **context), status


@bp.route("/next")
def next_rating():
    """For the pad's script: a service to rate now ({"rate": address}) or none ({"rate": null})."""
    try:
        pad = ops.pad_of(request.cookies.get(PAD_COOKIE))
    except ops.PadError as error:
        return {"error": error.message}, error.status
    if pad is None:
        return {"error": NOT_A_PAD}, 403
    return {"rate": ops.waiting_service(pad)}


@bp.route("/thanks")
def thanks():
    """Thanks, then back to an empty questionnaire by itself."""
    return render_template("kiosk/thanks.html", reset_s=_settings()["reset_after_submit_s"])


@bp.after_request
def _private(response):
    # Nothing a pad shows is kept by a cache, nor its address sent on.
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
