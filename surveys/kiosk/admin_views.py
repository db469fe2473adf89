"""The admin's page for hall pads, /admin/surveys/pads: the pads of each window, a one-time code for a
new one (shown once), and revocation."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.kernel.clock import chinese_date, local_date, local_text, utcnow
from app.kernel.extensions import db
from app.kernel.links import public_url
from app.kernel.qr import data_uri, qr_png
from app.kernel.scheme import current_scheme
from app.registry.auth import role_required
from app.registry.models import Unit, Window
from surveys.kiosk import operations as ops
from surveys.kiosk.forms import IssueCodeForm, RevokeForm
from surveys.kiosk.models import PAD_STATUS_LABELS, Pad

bp = Blueprint("pad_admin", __name__, url_prefix="/admin/surveys/pads")

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _window_choices():
    windows = db.session.scalars(sa.select(Window).join(Unit).where(Unit.active, Window.active)
                                 .order_by(Unit.category, Unit.code, Window.code)).all()
    return [SelectChoice(w.code, f"{w.code} {w.name}", optgroup=w.unit.name) for w in windows]


def _chosen_window():
    code = request.args.get("window", "")[:40]
    return db.session.scalar(sa.select(Window).where(Window.code == code)) if code else None


def moment(value):
    """A stored time as the admin reads it: 2026年3月2日 09:30 (Beijing)."""
    return f"{chinese_date(local_date(value))} {local_text(value, '%H:%M')}" if value else ""


@bp.route("")
@role_required("admin")
def index():
    return _page()


def _page(form=None, status=200, notice=None, window=None):
    window = window or _chosen_window()
    form = form or IssueCodeForm(window=window.code if window else None)
    form.window.choices = _window_choices()
    groups = {}
    for pad in ops.pads(window):
        groups.setdefault(pad.window, []).append(pad)
    return render_template("kiosk/admin_pads.html", form=form, window=window, groups=groups, now=utcnow(),
                           labels=PAD_STATUS_LABELS, moment=moment, revoke=RevokeForm(),
                           minutes=current_scheme()["kiosk"]["enrol_code_minutes"], notice=notice), status


@bp.route("", methods=["POST"])
@role_required("admin")
def issue():
    """A new pad's one-time code, shown on this page only; the database keeps its hash."""
    form = IssueCodeForm()
    form.window.choices = _window_choices()
    if not form.validate():
        return _page(form, 400)
    window = db.session.scalar(sa.select(Window).where(Window.code == form.window.data))
    try:
        pad, code = ops.issue_code(window, form.name.data, minutes=current_scheme()["kiosk"]["enrol_code_minutes"],
                                   actor=current_user)
    except ops.PadError as error:
        return _page(form, error.status, error.message)
    enrol_url = public_url("kiosk.enrol")
    page = render_template("kiosk/admin_code.html", pad=pad, code=ops.format_code(code), enrol_url=enrol_url,
                           qr=data_uri("image/png", qr_png(enrol_url, box_size=6)),
                           expires=moment(pad.code_expires_at))
    return page, 200, NO_STORE


@bp.route("/<int:pad_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(pad_id):
    pad = db.get_or_404(Pad, pad_id)
    if not RevokeForm().validate():
        return _page(status=400, notice="页面已过期，请重新操作。", window=pad.window)
    try:
        ops.revoke(pad, actor=current_user)
    except ops.PadError as error:
        return _page(status=error.status, notice=error.message, window=pad.window)
    flash(f"已停用评价平板“{pad.name}”。该平板再次打开评价页面时将被拒绝。", "success")
    return redirect(url_for("pad_admin.index", window=pad.window.code))
