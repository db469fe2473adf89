"""Statisticians' result pages: score runs, per-category tables, unit pages, diffs, exports, PDF notices."""
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.registry.auth import role_required
from app.kernel.extensions import db
from app.kernel.clock import local_text, local_today
from app.kernel.scheme import current_scheme
from stats.web import STATS_ROLES, charts, exports, report, requested_year, unit_reports
from stats.web.forms import IssueNoticeForm, PublishForm, RunForm
from stats.web.inputs import default_year
from stats.web.models import ScoreRun
from stats.web.operations import StatsError
from stats.web.notice import render_ranking_notice
from stats.web.runs import (
    create_run,
    diff_runs,
    issue_ranking_notice,
    issued_notice,
    publish_run,
    units_missing_parts,
    units_unranked,
)

bp = Blueprint("stats", __name__, url_prefix="/stats")

# Flask appends "; charset=utf-8" to text/* types itself.
MIME = {"csv": "text/csv", "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.context_processor
def _helpers():
    return {"local": local_text}


def _run(run_id):
    return db.get_or_404(ScoreRun, run_id)


def _download(content, mime, filename):
    # RFC 5987 keeps a Chinese file name intact; the ASCII fallback is for old clients.
    disposition = f"attachment; filename=\"{filename.encode('ascii', 'ignore').decode() or 'export'}\"; " \
                  f"filename*=UTF-8''{quote(filename)}"
    return Response(content, mimetype=mime, headers={"Content-Disposition": disposition,
                                                     "Cache-Control": "no-store"})


@bp.route("/")
@role_required(*STATS_ROLES)
def runs():
    year = requested_year()
    return _runs_page(year, RunForm(year=year))


def _runs_page(year, form, status=200, errors=()):
    rows = db.session.scalars(sa.select(ScoreRun).where(ScoreRun.year == year)
                              .order_by(ScoreRun.sequence.desc())).all()
    return render_template("stats/runs.html", year=year, runs=rows, form=form, errors=errors,
                           status_labels=report.STATUS_LABELS), status


@bp.route("/runs", methods=["POST"])
@role_required(*STATS_ROLES)
def run_new():
    form = RunForm()
    if not form.validate_on_submit():
        return _runs_page(form.year.data or default_year(), form, 400)
    try:
        run = create_run(form.year.data, current_user, note=form.note.data)
    except StatsError as error:
        flash(error.message, "error")
        return _runs_page(form.year.data, form, error.status, error.errors)
    flash(f"已完成{run.label}（草稿）。核对无误后可发布。", "success")
    return redirect(url_for("stats.run_detail", run_id=run.id))


@bp.route("/runs/<int:run_id>")
@role_required(*STATS_ROLES)
def run_detail(run_id):
    return _run_page(_run(run_id), PublishForm())


def _run_page(run, form, status=200, errors=()):
    tables = report.category_tables(run.results)
    for table in tables:
        table["chart"] = charts.category_interval_chart(table, report.survey_max(run.results))
    return render_template("stats/run.html", run=run, tables=tables, form=form, errors=errors,
                           missing_parts=units_missing_parts(run), unranked=units_unranked(run),
                           flag_text=report.flag_text,
                           flag_labels=report.FLAG_LABELS, flag_short=report.FLAG_SHORT,
                           input_labels=report.INPUT_LABELS, status_labels=report.STATUS_LABELS,
                           excluded=len(run.results["excluded"]), issued=issued_notice(run),
                           issue_form=IssueNoticeForm()), status


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
@role_required(*STATS_ROLES)
def run_publish(run_id):
    run = _run(run_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        publish_run(run, current_user, confirm_missing_parts=form.confirm_missing_parts.data,
                    confirm_unranked=form.confirm_unranked.data)
    except StatsError as error:
        flash(error.message, "error")
        return _run_page(run, form, error.status, error.errors)
    flash(f"{run.label}已发布；此后不能更改，如需更正请重新计分。", "success")
    return redirect(url_for("stats.run_detail", run_id=run.id))


@bp.route("/runs/<int:run_id>/diff")
@role_required(*STATS_ROLES)
def run_diff(run_id):
    run = _run(run_id)
    against = request.args.get("against", type=int)
    old = db.session.get(ScoreRun, against) if against else run.previous_run
    if old is None or old.year != run.year or old.id == run.id:
        flash("没有可比较的上一次计分。", "info")
        return redirect(url_for("stats.run_detail", run_id=run.id))
    return render_template("stats/diff.html", run=run, old=old, diff=diff_runs(old, run),
                           part_label=lambda p: report.part_label(run.results, p),
                           input_labels=report.INPUT_LABELS, reason_labels=report.REASON_LABELS)


@bp.route("/runs/<int:run_id>/units/<code>")
@role_required(*STATS_ROLES)
def unit_page(run_id, code):
    run, detail = _unit(run_id, code)
    return render_template("stats/unit.html", run=run, d=detail, charts=unit_reports.unit_charts(run, detail),
                           flag_text=report.flag_text, part_label=lambda p: report.part_label(run.results, p),
                           parts=unit_reports.unit_parts(run, detail))


def _unit(run_id, code):
    """The run and one unit's detail in it, or 404."""
    run = _run(run_id)
    detail = report.unit_detail(run.results, code)
    if detail is None:
        abort(404)
    return run, detail


@bp.route("/runs/<int:run_id>/export.<fmt>")
@role_required(*STATS_ROLES)
def run_export(run_id, fmt):
    run = _run(run_id)
    makers = {"csv": exports.results_csv, "xlsx": exports.results_xlsx, "json": exports.results_json}
    if fmt not in makers:
        abort(404)
    return _download(makers[fmt](run), MIME[fmt], f"{run.year}年度第{run.sequence}次计分结果.{fmt}")


@bp.route("/runs/<int:run_id>/notice.pdf")
@role_required(*STATS_ROLES)
def notice_pdf(run_id):
    """The issued 通报 once it has a number; before that a draft (草稿, or 征求意见稿 once published)."""
    run = _run(run_id)
    issued = issued_notice(run)
    if issued is not None:
        return redirect(url_for("documents.issued_pdf", document_id=issued.id))
    pdf = render_ranking_notice(run.results, current_scheme()["documents"], dated=local_today(),
                                draft_mark="征求意见稿" if run.is_published else "草稿")
    return _download(pdf, "application/pdf", f"{run.year}年度考核结果通报（{run.label}，草稿）.pdf")


@bp.route("/runs/<int:run_id>/notice/issue", methods=["POST"])
@role_required(*STATS_ROLES)
def notice_issue(run_id):
    run = _run(run_id)
    form = IssueNoticeForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors) or "请填写成文日期。", "error")
        return redirect(url_for("stats.run_detail", run_id=run.id), 303)
    try:
        document = issue_ranking_notice(run, current_user, form.dated.data)
    except StatsError as error:
        flash(error.message, "error")
        return redirect(url_for("stats.run_detail", run_id=run.id), 303)
    flash(f"通报已印发，文号{document.code}。", "success")
    return redirect(url_for("stats.run_detail", run_id=run.id), 303)


@bp.route("/runs/<int:run_id>/units/<code>/report.pdf")
@role_required(*STATS_ROLES)
def unit_report_pdf(run_id, code):
    run, detail = _unit(run_id, code)
    pdf = unit_reports.unit_report_pdf(run, detail)
    return _download(pdf, "application/pdf", f"{run.year}年度考核结果-{detail['row']['name']}.pdf")
