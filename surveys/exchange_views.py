"""The exchange page (/admin/exchange): download a year's exchange records, import the platform's ratings
and read the report of what was refused and why. Office and statisticians."""
import io
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from app.kernel.clock import local_today
from app.registry.auth import role_required
from surveys import exchange
from surveys.exchange_import import import_records, read_records
from surveys.forms import ExchangeExportForm, ExchangeImportForm

bp = Blueprint("exchange", __name__, url_prefix="/admin/exchange")
ROLES = ("admin", "statistician")
MIME = {"csv": "text/csv", "json": "application/json"}


def _page(export_form=None, import_form=None, report=None, status=200):
    year = local_today().year
    return render_template("surveys/admin/exchange.html", report=report, fields=exchange.FIELDS,
                           export_form=export_form or ExchangeExportForm(year=year),
                           import_form=import_form or ExchangeImportForm(year=year)), status


@bp.route("/")
@role_required(*ROLES)
def index():
    return _page()


@bp.route("/export")
@role_required(*ROLES)
def export():
    form = ExchangeExportForm(request.args)
    if not form.validate():
        return _page(export_form=form, status=400)
    buffer = io.StringIO()
    exchange.write(form.year.data, form.format.data, buffer, current_user)
    filename = f"{form.year.data}年度评价交换数据.{form.format.data}"
    return Response(buffer.getvalue(), mimetype=MIME[form.format.data], headers={
        "Content-Disposition": f"attachment; filename=\"exchange-{form.year.data}.{form.format.data}\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


@bp.route("/import", methods=["POST"])
@role_required(*ROLES)
def import_ratings():
    form = ExchangeImportForm()
    if not form.validate_on_submit():
        return _page(import_form=form, status=400)
    records = read_records(form.file.data.read(), form.format.data)
    report = import_records(records, form.year.data, current_user)
    report["unit"] = "行" if form.format.data == "csv" else "条"
    return _page(import_form=form, report=report)
