"""Citizen-facing survey pages: /s/<window> (non-fixed) and /i/<token> (fixed)."""
from flask import Blueprint, make_response, redirect, render_template, request, session, url_for

from app.kernel import ratelimit
from app.kernel.clock import local_today as _today
from app.kernel.extensions import csrf
from app.kernel.scheme import bad_level_text, current_scheme
from surveys import intake
from surveys.tickets import CSRF_EXPIRED, TICKET_STALE, new_ticket as _new_ticket, read_ticket as _read_ticket
from surveys import operations as ops
from surveys.forms import build_questionnaire_form, callback_phone_field
from surveys.models import Group

bp = Blueprint("surveys", __name__)

FLOOD = "您所在的网络提交的评价过多，请稍后再试。您的选择已保留。"

def _stale_ticket(form, context):
    """A page without a valid ticket: shown again with a fresh one, the answers kept, nothing stored."""
    form.ticket.data = None
    return _render_form(form, 400, notice=TICKET_STALE, **context)


def _answered_page():
    """The response already stored from the posted page's ticket, or None."""
    ticket = _read_ticket(request.form.get("ticket"))
    return ops.answered(ticket[0]) if ticket else None


def _thanks_again(response):
    """The page was submitted before: the thank-you page again, nothing stored."""
    window = response.window.code if response.window else None
    return redirect(url_for("surveys.thanks", unit=response.unit.code, window=window))


def _comment_max():
    return current_scheme()["intake"]["comment_max_chars"]


def _render_form(form, status=200, **context):
    if not form.ticket.data:
        form.ticket.data = _new_ticket()
    return render_template("surveys/questionnaire.html", form=form, comment_max=_comment_max(),
                           bad_levels=bad_level_text(), **context), status


def _form_errors_status(form):
    """Explain a stale or foreign CSRF token kindly; the answers stay in the form."""
    return CSRF_EXPIRED if "csrf_token" in form.errors else None


@bp.route("/s/<window_code>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token so that an expired one keeps the answers
def window_survey(window_code):
    try:
        window = ops.active_window(window_code)
        campaign = ops.current_campaign(_today())
        ops.check_open(campaign, _today())
    except ops.SurveyError as error:
        return _refusal(error, request.method == "GET" and error.status == 403)
    questionnaire = campaign.questionnaire_for(Group.nonfixed)
    form = build_questionnaire_form(questionnaire, _comment_max(), extra={"contact_phone": callback_phone_field()})
    context = {"questionnaire": questionnaire, "unit": window.unit, "window": window}
    if request.method == "GET":
        return intake.remember_device(make_response(_render_form(form, **context)), request.cookies,
                                      request.is_secure)
    if not form.validate():
        return _render_form(form, 400, notice=_form_errors_status(form), **context)
    ticket = _read_ticket(form.ticket.data)
    if ticket is None:
        return _stale_ticket(form, context)
    ticket_hash, duration_s = ticket
    if (earlier := ops.answered(ticket_hash)) is not None:
        return _thanks_again(earlier)
    if (flood := _flood()) is not None:
        return _render_form(form, flood.status, notice=flood.message, **context)
    limits = current_scheme()["intake"]
    try:
        ops.submit_walk_in(
            window, campaign, device=intake.device_of(request.cookies), address=request.remote_addr,
            user_agent=request.user_agent.string,
            limits=(limits["nonfixed_rate_limit"], limits["address_rate_limit"]),
            levels=form.levels(), comment=form.comment.data or "", duration_s=duration_s, ticket_hash=ticket_hash)
    except ops.AlreadyAnswered as again:
        return _thanks_again(again.response)
    except ops.SurveyError as error:
        return _render_form(form, error.status, notice=error.message, **context)
    # A bad rating with a phone number is announced; the listener keeps a pending request (the phone is
    # stored there only) whose case the sweep opens later, so no timestamp links it to this response.
    ops.request_callback(window.unit_id, questionnaire, form.levels(), form.contact_phone.data,
                         current_scheme()["survey"]["bad_levels"])
    return redirect(url_for("surveys.thanks", unit=window.unit.code, window=window.code))


@bp.route("/i/<token>")
def open_invitation(token):
    """Move the token into the session and drop it from the URL, so it leaks nowhere."""
    try:  # a script guessing invitation codes meets the limit long before it finds one
        ratelimit.hit("invitation")
    except ratelimit.TooFrequent as refusal:
        return _refusal(refusal)
    session["invitation"] = token[:100]
    response = redirect(url_for("surveys.invited_survey"))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/invite", methods=["GET", "POST"])
@csrf.exempt  # checked by the form itself, as above
def invited_survey():
    # A page answered before (back button, double tap) is thanked again, even once the session has
    # forgotten the invitation.
    if request.method == "POST" and (earlier := _answered_page()) is not None:
        return _thanks_again(earlier)
    token = session.get("invitation")
    if not token:
        return _refusal(ops.SurveyError("请通过邀请链接或二维码进入问卷。", 404))
    try:
        invitation = ops.find_invitation(token)
        ops.check_open(invitation.campaign, _today())
    except ops.SurveyError as error:
        return _refusal(error, request.method == "GET" and error.status == 403)
    campaign, unit = invitation.campaign, invitation.fixed_respondent.unit
    questionnaire = campaign.questionnaire_for(Group.fixed)
    form = build_questionnaire_form(questionnaire, _comment_max(), extra={"contact_phone": callback_phone_field()})
    context = {"questionnaire": questionnaire, "unit": unit, "respondent": invitation.fixed_respondent}
    if request.method == "GET":
        return _render_form(form, **context)
    if not form.validate():
        return _render_form(form, 400, notice=_form_errors_status(form), **context)
    ticket = _read_ticket(form.ticket.data)
    if ticket is None:
        return _stale_ticket(form, context)
    ticket_hash, duration_s = ticket
    if (flood := _flood()) is not None:
        return _render_form(form, flood.status, notice=flood.message, **context)
    try:
        ops.submit_invited_response(invitation, form.levels(), form.comment.data or "", duration_s,
                                    ticket_hash=ticket_hash)
    except ops.AlreadyAnswered as again:
        return _thanks_again(again.response)
    except ops.SurveyError as error:
        # Two posts of one page racing: the loser of the invitation's claim finds the winner's response.
        if error.status == 409 and (earlier := ops.answered(ticket_hash)) is not None:
            return _thanks_again(earlier)
        return _render_form(form, error.status, notice=error.message, **context)
    session.pop("invitation", None)
    # As for walk-ins: the phone goes only into a pending callback request, never with the queued answers.
    ops.request_callback(unit.id, questionnaire, form.levels(), form.contact_phone.data,
                         current_scheme()["survey"]["bad_levels"])
    return redirect(url_for("surveys.thanks", unit=unit.code))


def _flood():
    """The refusal when this address has posted too many questionnaires (all windows together), else None."""
    try:
        ratelimit.hit("survey_intake", message=FLOOD)
    except ratelimit.TooFrequent as refusal:
        return refusal
    return None


@bp.route("/thanks")
def thanks():
    unit = ops.units_by_code().get(request.args.get("unit", ""))
    window_code = request.args.get("window", "")[:40]
    complaint_url = url_for("cases.new", unit=unit.code if unit else None, window=window_code or None)
    return render_template("surveys/thanks.html", unit=unit, complaint_url=complaint_url)


def _refusal(error, ok=False):
    """A page that says why nothing was stored; a closed campaign viewed is not an error."""
    return render_template("surveys/refused.html", message=error.message), 200 if ok else error.status


@bp.after_request
def _no_referrer(response):
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
