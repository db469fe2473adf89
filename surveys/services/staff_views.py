"""The window officer's pages: register a finished service and show its rating QR code; the unit's
latest services. A unit liaison works for their own unit, the office for any."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.kernel.clock import local_now, local_text
from app.registry import operations as registry
from app.registry.auth import role_required
from app.registry.models import Role
from surveys import operations as survey_ops
from surveys.services import operations as ops
from surveys.services.forms import StaffServiceForm

bp = Blueprint("services_staff", __name__, url_prefix="/staff/services")
ROLES = ("admin", "liaison")


def _unit(code=None):
    """The unit the page is about: a liaison's own; for the office the one asked for (None: choose)."""
    if current_user.role == Role.liaison:
        return current_user.unit
    return registry.unit_by_code(code) if code else None


def _form(unit):
    form = StaffServiceForm()
    units = [unit] if unit is not None else registry.all_units(active_only=True)
    form.window.choices = [SelectChoice(w.code, f"{u.name} · {w.name}（{w.code}）")
                           for u in units for w in u.windows if w.active]
    return form


@bp.route("/")
@role_required(*ROLES)
def index():
    unit = _unit(request.args.get("unit"))
    records = ops.recent_records(unit) if unit is not None else []
    return render_template("services/staff_list.html", unit=unit, records=records, status=ops.status,
                           labels=ops.STATUS_LABELS, local=local_text,
                           units=registry.all_units(active_only=True) if current_user.role != Role.liaison else [])


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new():
    unit = _unit(request.args.get("unit"))
    form = _form(unit)
    if not form.is_submitted():
        form.finished_at.data = local_now().strftime("%Y-%m-%dT%H:%M")
        return render_template("services/staff_new.html", form=form, unit=unit)
    if not form.validate():
        return render_template("services/staff_new.html", form=form, unit=unit), 400
    try:
        window = survey_ops.active_window(form.window.data)  # one of the choices: the user's unit's
        finished_at = ops.parse_finished_at(form.finished_at.data)
        record, _created = ops.register(window=window, finished_at=finished_at, staff=current_user,
                                        **form.service_fields())
    except (ops.ServiceError, survey_ops.SurveyError) as error:
        for name, messages in getattr(error, "fields", {}).items():
            getattr(form, name, form.case_number).errors = list(messages)
        return render_template("services/staff_new.html", form=form, unit=unit, notice=error.message), error.status
    return redirect(url_for("services_staff.show", public_id=record.public_id))


@bp.route("/<public_id>")
@role_required(*ROLES)
def show(public_id):
    """The service's rating QR code for the citizen to scan at the window, again whenever it is needed."""
    unit = current_user.unit if current_user.role == Role.liaison else None
    try:
        record = ops.by_public_id(public_id, unit)
    except ops.ServiceError:
        abort(404)
    return render_template("services/staff_show.html", record=record, state=ops.status(record),
                           labels=ops.STATUS_LABELS, local=local_text, **ops.links(record))
