"""Admin pages for the registry: units and their service windows, staff accounts."""
import sqlalchemy as sa
from flask import Blueprint, render_template

from app.auth import role_required
from app.extensions import db
from app.models import Unit
from app.scheme import category_names, current_scheme

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/units")
@role_required("admin")
def units():
    all_units = db.session.scalars(sa.select(Unit).order_by(Unit.category, Unit.code)).all()
    return render_template("admin/units.html", units=all_units, categories=category_names(current_scheme()))
