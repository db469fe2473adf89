"""The office's 效能告诫 page: issue an admonition (numbered 效能告诫书 + deduction) and revoke one."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.registry.forms import unit_choices
from app.kernel.extensions import db
from app.registry.auth import role_required
from app.registry.models import Unit
from stats.web import admonitions, requested_year
from stats.web.forms import AdmonitionForm, AdmonitionRevokeForm
from stats.web.models import Admonition
from stats.web.operations import StatsError
from app.kernel.clock import local_text

bp = Blueprint("stats_admonitions", __name__, url_prefix="/stats/admonitions")
ISSUERS = ("admin",)  # the office issues; statisticians see them in the ledger


def _form():
    form = AdmonitionForm()
    form.unit_code.choices = unit_choices()
    form.level.choices = [SelectChoice(code, f"{level['label']}（扣{level['points']}分）")
                          for code, level in admonitions.levels().items()]
    return form


def _page(form, year, status=200):
    return render_template("stats/admonitions.html", form=form, year=year, local=local_text,
                           rows=admonitions.admonitions_of(year)), status


@bp.route("/", methods=["GET", "POST"])
@role_required(*ISSUERS)
def index():
    form, year = _form(), requested_year()
    if not form.is_submitted():
        return _page(form, year)
    if not form.validate():
        return _page(form, year, 400)
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == form.unit_code.data))
    try:
        admonition = admonitions.issue(unit=unit, year=year, level_code=form.level.data, facts=form.facts.data,
                                       official_name=form.official.data, case_numbers=form.case_numbers.data,
                                       dated=form.dated.data, actor=current_user)
    except StatsError as error:
        flash(error.message, "error")
        return _page(form, year, error.status)
    flash(f"已印发{admonition.document.code}，并在{year}年度台账中扣减{admonition.points:g}分。", "success")
    return redirect(url_for("stats_admonitions.index", year=year), 303)


@bp.route("/<int:admonition_id>/revoke", methods=["POST"])
@role_required(*ISSUERS)
def revoke(admonition_id):
    admonition = db.get_or_404(Admonition, admonition_id)
    form = AdmonitionRevokeForm()
    try:
        if not form.validate():
            raise StatsError("撤销须填写理由。")
        admonitions.revoke(admonition, current_user, form.reason.data)
    except StatsError as error:
        flash(error.message, "error")
    else:
        flash("已撤销该问责，相应扣分已从台账撤销。", "success")
    return redirect(url_for("stats_admonitions.index", year=admonition.year), 303)
