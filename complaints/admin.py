"""Admin pages for cases: pending extensions, overdue deductions, holiday notices, the outbox."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.registry.auth import role_required
from app.kernel.clock import local_today
from app.kernel.extensions import db
from complaints import deductions, holidays, notify, workflow
from app.kernel.clock import local_text
from complaints.deadlines import package_knows
from complaints.holiday_notice import NoticeError
from complaints.forms import CalendarForm, RevokeForm
from complaints.models import DELIVERY_LABELS, Case, Deduction, Extension, OutboxMessage
from app.kernel.privacy import mask_phone

bp = Blueprint("case_admin", __name__, url_prefix="/admin/cases")

YEARS = range(2000, 2101)  # a year outside would overflow the database's integer


@bp.route("/extensions")
@role_required("admin")
def extensions():
    stmt = (sa.select(Extension).join(Case).where(Extension.decision.is_(None))
            .order_by(Case.reply_due_on, Extension.requested_at))
    return render_template("complaints/extensions.html", extensions=db.session.scalars(stmt).all())


@bp.route("/deductions")
@role_required("admin", "statistician")
def deduction_list():
    year = request.args.get("year", type=int)
    year = year if year in YEARS else local_today().year
    stmt = sa.select(Deduction).where(Deduction.year == year).order_by(Deduction.created_at.desc())
    return render_template("complaints/deductions.html", year=year, rows=db.session.scalars(stmt).all(),
                           form=RevokeForm())


@bp.route("/deductions/<int(max=2147483647):deduction_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(deduction_id):
    deduction = db.get_or_404(Deduction, deduction_id)
    form = RevokeForm()
    message = None
    if not form.validate():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
    else:
        try:
            deductions.revoke(deduction, current_user, form.reason.data)
        except deductions.DeductionError as error:
            message = error.message
    if message:
        stmt = sa.select(Deduction).where(Deduction.year == deduction.year).order_by(Deduction.created_at.desc())
        return render_template("complaints/deductions.html", year=deduction.year, form=form, notice=message,
                               rows=db.session.scalars(stmt).all()), 400
    flash("已撤销该扣分，撤销理由已记录。", "success")
    return redirect(url_for("case_admin.deduction_list", year=deduction.year))


@bp.route("/calendar", methods=["GET", "POST"])
@role_required("admin")
def calendar():
    form = CalendarForm()
    status, notice = 200, None
    if form.validate_on_submit():
        try:
            count = holidays.load_year(form.year.data, form.text.data, current_user, form.note.data or "")
        except NoticeError as error:
            status, notice = 400, str(error)
        else:
            flash(f"已载入{form.year.data}年节假日安排，重新计算了{count}件的期限。", "success")
            return redirect(url_for("case_admin.calendar"))
    elif request.method == "POST":
        status = 400
    today = local_today()
    years = [(year, package_knows(year)) for year in range(today.year - 1, today.year + 3)]
    provisional = db.session.scalar(sa.select(sa.func.count(Case.id)).where(
        Case.deadlines_provisional, Case.status.in_(workflow.OPEN_STATUSES)))
    return render_template("complaints/calendar.html", form=form, notice=notice, years=years, provisional=provisional,
                           loaded=holidays.loaded_years(), unknown=holidays.unknown_years(today)), status


@bp.route("/outbox")
@role_required("admin")
def outbox():
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    only_logs = current_app.config["NOTIFY_BACKEND"] == "complaints.notify.LoggingBackend"
    return render_template("complaints/outbox.html", messages=db.session.scalars(stmt).all(), mask_phone=mask_phone,
                           local=local_text, shown_body=notify.shown_body, labels=DELIVERY_LABELS,
                           only_logs=only_logs)


@bp.route("/outbox/<int(max=2147483647):message_id>/retry", methods=["POST"])
@role_required("admin")
def retry(message_id):
    notify.retry(db.get_or_404(OutboxMessage, message_id))
    flash("该通知已重新排队，下次定时任务时发送。", "success")
    return redirect(url_for("case_admin.outbox"))
