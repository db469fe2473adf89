"""Statisticians' input pages: imported parts, the adjustment ledger, and the screening review queue."""
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.registry.forms import unit_choices
from app.registry.auth import role_required
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from stats.web import STATS_ROLES, requested_year
from stats.web import operations as ops
from stats.web.forms import AdjustmentForm, ButtonForm, PartsImportForm, ReinstateForm, RevokeForm
from stats.web.models import ORIGIN_LABELS, Adjustment
from app.kernel.clock import local_text
from stats.screening import NOT_REINSTATABLE
from stats.web.appeals import upheld_by_response
from stats.web.report import REASON_LABELS, evidence_text
from stats.web.runs import latest_run
from surveys.models import RESPONSE_CHANNEL_LABELS, GROUP_LABELS

bp = Blueprint("stats_inputs", __name__, url_prefix="/stats")

PAGE_SIZE = 50
STRAIGHTLINE = "straightline"  # a queue filter beside the reasons: counted responses, listed for a look
STRAIGHTLINE_LABEL = "直线作答（各题同一等级，仍计分）"


@bp.context_processor
def _helpers():
    return {"local": local_text}


# --- Parts ---------------------------------------------------------------------------------------

@bp.route("/parts", methods=["GET", "POST"])
@role_required(*STATS_ROLES)
def parts():
    form = PartsImportForm(year=requested_year())
    errors, status = [], 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = ops.decode_upload(upload.read())
            created, updated = ops.import_parts(text, upload.filename, form.year.data, current_user, current_scheme())
        except ops.StatsError as error:
            flash(error.message, "error")
            errors, status = error.errors, error.status
        else:
            flash(f"已导入 {created + updated} 行（新增 {created}，更新 {updated}）。", "success")
            return redirect(url_for("stats_inputs.parts", year=form.year.data))
    elif form.is_submitted():
        status = 400
    year = form.year.data if form.year.data and not form.year.errors else requested_year()
    return render_template("stats/parts.html", form=form, year=year, errors=errors, rows=ops.parts_listing(year),
                           scheme=current_scheme()), status


# --- Adjustment ledger ---------------------------------------------------------------------------

@bp.route("/adjustments")
@role_required(*STATS_ROLES)
def adjustments():
    year = requested_year()
    form = AdjustmentForm(year=str(year))
    form.unit.choices = unit_choices(blank="请选择")
    return _ledger_page(year, form)


@bp.route("/adjustments/sync", methods=["POST"])
@role_required(*STATS_ROLES)
def adjustments_sync():
    """Bring overdue-case deductions into the ledger (a score run does this too); a GET never writes."""
    year = requested_year(request.form.get("year", type=int))  # CSRFProtect has checked the token
    fed = ops.feed_overdue_deductions(year, actor=current_user)
    flash(f"已同步超期扣分：新增 {fed['added']} 条，撤销 {fed['revoked']} 条。", "success")
    return redirect(url_for("stats_inputs.adjustments", year=year))


def _ledger_page(year, form, status=200):
    caps = current_scheme()["adjustments"]
    return render_template("stats/adjustments.html", year=year, form=form, caps=caps, revoke_form=RevokeForm(),
                           sync_form=ButtonForm(), origin_labels=ORIGIN_LABELS, **ops.ledger(year, caps)), status


@bp.route("/adjustments", methods=["POST"])
@role_required(*STATS_ROLES)
def adjustment_new():
    form = AdjustmentForm()
    form.unit.choices = unit_choices(blank="请选择")
    year = requested_year(int(form.year.data) if (form.year.data or "").isdigit() else None)
    if not form.validate_on_submit():
        return _ledger_page(year, form, 400)
    unit = ops.unit_by_code(form.unit.data)
    try:
        ops.add_adjustment(unit, year, form.amount.data, form.reason.data, form.evidence.data, current_user)
    except ops.StatsError as error:
        flash(error.message, "error")
        return _ledger_page(year, form, error.status)
    flash(f"已记入台账：{unit.name} {float(form.amount.data):+g} 分。", "success")
    return redirect(url_for("stats_inputs.adjustments", year=year))


@bp.route("/adjustments/<int:line_id>/revoke", methods=["POST"])
@role_required(*STATS_ROLES)
def adjustment_revoke(line_id):
    line = db.get_or_404(Adjustment, line_id)
    form = RevokeForm()
    if not form.validate_on_submit():  # a refusal goes to the one handler (app/site.py)
        raise ops.StatsError("撤销须填写理由。")
    ops.revoke_adjustment(line, current_user, form.reason.data)
    flash("已撤销该条加减分。", "success")
    return redirect(url_for("stats_inputs.adjustments", year=line.year))


# --- Screening review queue ----------------------------------------------------------------------

@bp.route("/screening")
@role_required(*STATS_ROLES)
def screening():
    year, reason, unit = requested_year(), request.args.get("reason", ""), request.args.get("unit", "")
    page = max(request.args.get("page", 1, type=int), 1)
    run = latest_run(year)
    straightline = run.results.get("straightline_by_unit", {}) if run else {}
    if reason == STRAIGHTLINE:
        entries = [{"response_id": rid, "unit_code": code, "reason": STRAIGHTLINE}
                   for code, ids in sorted(straightline.items()) if not unit or code == unit for rid in ids]
    else:
        entries = [e for e in (run.results["excluded"] if run else [])
                   if (not reason or e["reason"] == reason) and (not unit or e.get("unit_code") == unit)]
    shown = entries[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render_template(
        "stats/screening.html", year=year, run=run, entries=shown, total=len(entries), page=page,
        pages=max(1, -(-len(entries) // PAGE_SIZE)), reason=reason, unit=unit,
        details=ops.response_details([e["response_id"] for e in shown]), reinstated=ops.reinstatements_of(year),
        appeals=upheld_by_response(year), form=ReinstateForm(), reason_labels=REASON_LABELS, group_labels=GROUP_LABELS,
        straightline_count=sum(map(len, straightline.values())), straightline_label=STRAIGHTLINE_LABEL,
        channel_labels=RESPONSE_CHANNEL_LABELS, not_reinstatable=NOT_REINSTATABLE, evidence_text=evidence_text,
        units=ops.unit_names(active_only=True))


@bp.route("/screening/<public_id>/reinstate", methods=["POST"])
@role_required(*STATS_ROLES)
def reinstate(public_id):
    form = ReinstateForm()
    year = requested_year(request.form.get("year", type=int))
    if not form.validate_on_submit():  # a refusal goes to the one handler (app/site.py)
        raise ops.StatsError("恢复计分须填写说明。")
    ops.reinstate(public_id, form.note.data, current_user, latest_run(year))
    flash("已恢复该答卷计分，下一次计分起生效。", "success")
    return redirect(url_for("stats_inputs.screening", year=year))
