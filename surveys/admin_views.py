"""Staff side of the survey: campaigns, questionnaires, fixed respondents and invitations,
window QR codes and posters, live counts, and paper entry."""
import csv
import io
from urllib.parse import quote

from flask import (
    Blueprint, abort, flash, redirect, render_template, request, session, url_for,
)
from flask_login import current_user
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from app.registry.forms import unit_choices
from app.registry.auth import role_required
from app.kernel.clock import local_today
from app.kernel.extensions import db
from app.kernel.links import public_url
from app.kernel.pdf import render_pdf
from app.kernel.scheme import current_scheme, level_labels
from surveys import forms
from surveys import admin_operations as staff_ops
from surveys import operations as ops, printing
from app.kernel.qr import data_uri, qr_png, qr_svg
from app.kernel.text import spreadsheet_safe
from surveys.models import (
    GROUP_LABELS, Campaign, Group, Questionnaire,
)

bp = Blueprint("survey_admin", __name__, url_prefix="/admin/surveys")

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _window(code):
    return staff_ops.window_by_code(code) or abort(404)


# --- Campaigns -------------------------------------------------------------------------------------

@bp.route("/campaigns")
@role_required("admin")
def campaigns():
    return render_template("surveys/admin/campaigns.html", campaigns=staff_ops.campaigns(), today=local_today())


def _questionnaire_choices(group):
    return [SelectChoice(str(q.id), f"{q.title}（{q.code} 第{q.version}版）") for q in staff_ops.questionnaires_of(group)]


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required("admin")
def campaign_new():
    return _campaign_page(None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@role_required("admin")
def campaign_edit(campaign_id):
    return _campaign_page(db.get_or_404(Campaign, campaign_id))


def _campaign_page(campaign):
    form = forms.CampaignForm(obj=campaign)
    form.fixed_questionnaire.choices = _questionnaire_choices(Group.fixed)
    form.nonfixed_questionnaire.choices = _questionnaire_choices(Group.nonfixed)
    if campaign is not None and not form.is_submitted():
        form.fixed_questionnaire.data = str(campaign.fixed_questionnaire_id)
        form.nonfixed_questionnaire.data = str(campaign.nonfixed_questionnaire_id)
    context = {"form": form, "campaign": campaign}
    if not form.is_submitted():
        return render_template("surveys/admin/campaign_form.html", **context)
    if not form.validate():
        return render_template("surveys/admin/campaign_form.html", **context), 400
    try:
        saved = staff_ops.save_campaign(
            campaign, year=form.year.data, name=form.name.data, opens_on=form.opens_on.data,
            closes_on=form.closes_on.data,
            fixed_questionnaire=staff_ops.questionnaire_by_id(form.fixed_questionnaire.data),
            nonfixed_questionnaire=staff_ops.questionnaire_by_id(form.nonfixed_questionnaire.data), actor=current_user,
        )
    except ops.SurveyError as error:
        return render_template("surveys/admin/campaign_form.html", notice=error.message, **context), error.status
    flash(f"已保存测评活动“{saved.name}”。", "success")
    return redirect(url_for("survey_admin.campaigns"))


# --- Questionnaires --------------------------------------------------------------------------------

@bp.route("/questionnaires")
@role_required("admin")
def questionnaires():
    return render_template("surveys/admin/questionnaires.html", groups=GROUP_LABELS,
                           **staff_ops.questionnaire_overview())


@bp.route("/questionnaires/new", methods=["GET", "POST"])
@role_required("admin")
def questionnaire_new():
    form = forms.QuestionnaireEditForm()
    if not form.is_submitted():
        for _ in range(5):
            form.items.append_entry()
    return _questionnaire_page(form, None)


@bp.route("/questionnaires/<int:questionnaire_id>", methods=["GET", "POST"])
@role_required("admin")
def questionnaire_edit(questionnaire_id):
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if request.method == "POST":
        form = forms.QuestionnaireEditForm()
    else:
        rows = [{"position": i + 1, "code": item.code, "text": item.text, "dimension": item.dimension,
                 "weight": item.weight, "allow_unknown": item.allow_unknown}
                for i, item in enumerate(questionnaire.items)]
        form = forms.QuestionnaireEditForm(data={"title": questionnaire.title, "items": rows})
        for _ in range(3):
            form.items.append_entry()
    del form.code, form.group  # fixed once created: a version keeps its code and group
    return _questionnaire_page(form, questionnaire)


def _questionnaire_page(form, questionnaire):
    context = {
        "form": form, "questionnaire": questionnaire, "groups": GROUP_LABELS,
        "is_latest": questionnaire is None or questionnaire.version == staff_ops.latest_version(questionnaire.code),
        "answered": questionnaire is not None and ops.has_responses(questionnaire),
        "dimensions": current_scheme()["survey"]["dimensions"],
    }
    if not form.is_submitted():
        return render_template("surveys/admin/questionnaire_form.html", **context)
    if not form.validate():
        return render_template("surveys/admin/questionnaire_form.html", **context), 400
    try:
        if questionnaire is None:
            saved = staff_ops.create_questionnaire(code=form.code.data or "", group=form.group.data,
                                             title=form.title.data, items=form.item_specs(), actor=current_user)
        else:
            saved = staff_ops.edit_questionnaire(questionnaire, title=form.title.data, items=form.item_specs(),
                                                 actor=current_user)
    except ops.SurveyError as error:
        return render_template("surveys/admin/questionnaire_form.html", notice=error.message, **context), error.status
    if questionnaire is not None and saved.id != questionnaire.id:
        flash(f"该问卷已有答卷，已生成第{saved.version}版；原有答卷仍按第{questionnaire.version}版计算，"
              "使用该问卷的测评活动已改用新版本。", "info")
    else:
        flash("问卷已保存。", "success")
    return redirect(url_for("survey_admin.questionnaire_edit", questionnaire_id=saved.id))


# --- Fixed respondents and invitations ---------------------------------------------------------------

def _campaign_from_args():
    campaign_id = request.args.get("campaign", "")
    if campaign_id.isdigit():
        return staff_ops.campaign_by_id(campaign_id) or abort(404)
    return ops.current_campaign(local_today())


@bp.route("/units")
@role_required("admin")
def units():
    campaign = _campaign_from_args()
    return render_template("surveys/admin/units.html", campaign=campaign, **staff_ops.invitation_overview(campaign))


def _unit(code):
    return staff_ops.unit_by_code(code) or abort(404)


@bp.route("/units/<code>/respondents")
@role_required("admin")
def respondents(code):
    return _respondents_page(code)


def _respondents_page(code, status=200, notice=None):
    unit = _unit(code)
    campaign = _campaign_from_args()
    issue = forms.IssueInvitationsForm()
    issue.campaign.choices = _campaign_choices()
    if campaign is not None:
        issue.campaign.data = str(campaign.id)
    return render_template(
        "surveys/admin/respondents.html", unit=unit, campaign=campaign, respondents=staff_ops.respondents_of(unit),
        issue=issue,
        upload=forms.RespondentsUploadForm(), status=staff_ops.invitation_status(campaign, unit) if campaign else {},
        kinds=staff_ops.RESPONDENT_KINDS, mask=staff_ops.mask_contact, notice=notice,
    ), status


@bp.route("/units/<code>/respondents/import", methods=["POST"])
@role_required("admin")
def respondents_import(code):
    unit = _unit(code)
    form = forms.RespondentsUploadForm()
    if not form.validate_on_submit():
        return _respondents_page(code, 400, "请选择要导入的 CSV 文件。")
    try:
        created, updated = staff_ops.import_fixed_respondents(
            unit, staff_ops.read_fixed_respondents(form.file.data.read()), actor=current_user)
    except ops.SurveyError as error:
        return _respondents_page(code, error.status, f"导入失败，未保存任何数据。{error.message}")
    flash(f"导入完成：新增 {created} 个固定服务对象，更新 {updated} 个。", "success")
    return redirect(url_for("survey_admin.respondents", code=unit.code))


@bp.route("/units/<code>/invitations", methods=["POST"])
@role_required("admin")
def invitations_issue(code):
    """Issue tokens and show them once: a CSV to download and QR codes to print. Only hashes are kept."""
    unit = _unit(code)
    form = forms.IssueInvitationsForm()
    form.campaign.choices = _campaign_choices()
    if not form.validate_on_submit():
        return _respondents_page(code, 400, "请选择测评活动。")
    campaign = staff_ops.campaign_by_id(form.campaign.data)
    issued = staff_ops.issue_invitations(campaign, unit, reissue=form.reissue.data, actor=current_user)
    if not issued:
        flash("没有需要发放的邀请：名单中的服务对象都已有邀请码。如邀请链接遗失，可勾选“重新生成”。", "info")
        return redirect(url_for("survey_admin.respondents", code=unit.code, campaign=campaign.id))
    links = [(respondent, public_url("surveys.open_invitation", token=token)) for respondent, token in issued]
    cards = [(respondent.name, link, data_uri("image/png", qr_png(link, box_size=4))) for respondent, link in links]
    csv_uri = data_uri("text/csv;charset=utf-8", _links_csv(links).encode("utf-8-sig"))
    page = render_template("surveys/admin/invitations_issued.html", unit=unit, campaign=campaign, cards=cards,
                           csv_uri=csv_uri, filename=f"invitations-{unit.code}-{campaign.year}.csv")
    return page, 200, NO_STORE


@bp.route("/units/<code>/invitations/letters.pdf", methods=["POST"])
@role_required("admin")
def invitation_letters(code):
    """Letters for every respondent who has not answered, with fresh tokens (old links stop working)."""
    unit = _unit(code)
    form = forms.IssueInvitationsForm()
    form.campaign.choices = _campaign_choices()
    if not form.validate_on_submit():
        return _respondents_page(code, 400, "请选择测评活动。")
    campaign = staff_ops.campaign_by_id(form.campaign.data)
    pdf, count = printing.invitation_letters(campaign, unit, actor=current_user)
    if not count:
        flash("没有需要寄发的邀请函：名单为空，或名单中的服务对象都已作答。", "info")
        return redirect(url_for("survey_admin.respondents", code=unit.code, campaign=campaign.id))
    filename = f"邀请函-{unit.name}-{campaign.year}.pdf"
    return pdf, 200, {**NO_STORE, "Content-Type": "application/pdf",
                      "Content-Disposition": f"attachment; filename=\"invitations-{unit.code}.pdf\"; "
                                             f"filename*=UTF-8''{quote(filename)}"}


def _campaign_choices():
    return [SelectChoice(str(c.id), c.name) for c in staff_ops.campaigns()]


def _links_csv(links):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("name", "link"))
    for respondent, link in links:
        writer.writerow((spreadsheet_safe(respondent.name), link))
    return out.getvalue()


# --- Window QR codes and posters ---------------------------------------------------------------------

@bp.route("/windows/<code>/qr.png")
@role_required("admin")
def window_qr_png(code):
    window = _window(code)
    return qr_png(printing.window_url(window)), 200, {"Content-Type": "image/png", **_download_as(window, "png")}


@bp.route("/windows/<code>/qr.svg")
@role_required("admin")
def window_qr_svg(code):
    window = _window(code)
    return qr_svg(printing.window_url(window)), 200, {"Content-Type": "image/svg+xml; charset=utf-8",
                                              **_download_as(window, "svg")}


def _download_as(window, extension, prefix="qr", disposition="attachment"):
    """Each window's file gets its own name; codes come from imported CSVs, so keep them safe."""
    name = f"{prefix}-{secure_filename(window.code) or window.id}.{extension}"
    return {"Content-Disposition": f'{disposition}; filename="{name}"'}


@bp.route("/windows/<code>/poster")
@role_required("admin")
def window_poster(code):
    return render_template("surveys/admin/poster.html", **printing.poster_context(_window(code)))


@bp.route("/windows/<code>/poster.pdf")
@role_required("admin")
def window_poster_pdf(code):
    window = _window(code)
    pdf = render_pdf("pdf/poster.html", **printing.poster_context(window))
    return pdf, 200, {"Content-Type": "application/pdf", **_download_as(window, "pdf", "poster", "inline")}


# --- Paper entry ------------------------------------------------------------------------------------

@bp.route("/paper", methods=["GET", "POST"])
@role_required("admin", "statistician")
def paper_entry():
    campaign = ops.current_campaign(local_today())
    if campaign is None:
        return _paper_target(notice="尚未设置测评活动，无法录入。", status=409)
    if not request.args.get("unit"):
        return _paper_target()
    try:
        unit, window, group = staff_ops.paper_target(request.args["unit"], request.args.get("window"),
                                               request.args.get("group"))
    except ops.SurveyError as error:
        return _paper_target(notice=error.message, status=error.status)
    questionnaire = campaign.questionnaire_for(group)
    form = forms.build_paper_form(questionnaire, current_scheme()["intake"]["comment_max_chars"])
    context = {"form": form, "campaign": campaign, "unit": unit, "window": window, "group": group,
               "groups": GROUP_LABELS, "questionnaire": questionnaire, "levels": level_labels(),
               "entered": session.get("paper_sheets", 0)}
    if not form.is_submitted():
        return render_template("surveys/admin/paper_sheet.html", **context)
    if not form.validate():
        return render_template("surveys/admin/paper_sheet.html", **context), 400
    try:
        ops.submit_response(campaign=campaign, unit=unit, window=window, group=group, channel="paper",
                            levels=form.levels(), comment=form.comment.data or "", entered_by=current_user)
    except ops.SurveyError as error:
        return render_template("surveys/admin/paper_sheet.html", notice=error.message, **context), error.status
    session["paper_sheets"] = session.get("paper_sheets", 0) + 1
    flash(f"已保存。本次登录共录入 {session['paper_sheets']} 份，请录入下一份。", "success")
    return redirect(url_for("survey_admin.paper_entry", unit=unit.code, window=window.code if window else None,
                            group=str(group)))


def _paper_target(notice=None, status=200):
    if request.method == "POST" and status == 200:
        abort(400)
    form = forms.PaperEntryTarget(request.args, meta={"csrf": False})
    windows = staff_ops.paper_windows()
    form.unit.choices = unit_choices()
    form.window.choices = [SelectChoice("", "（不指定窗口）")] + [
        SelectChoice(w.code, f"{w.code} {w.name}", render_kw={"data-parent": w.unit.code}) for w in windows
    ]
    # The window list follows the chosen unit (app/static/js/site.js); the server checks the pair again.
    return render_template("surveys/admin/paper_target.html", form=form, notice=notice,
                           entered=session.get("paper_sheets", 0)), status
