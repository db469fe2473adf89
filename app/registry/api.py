"""JSON API (v1) for integration with portals, hotlines and the units' own business systems."""
import sqlalchemy as sa
from flask import Blueprint

from app.kernel.extensions import csrf, db
from app.registry.auth import api_key_required, require_key_unit
from app.registry.models import Unit, Window

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # JSON calls with an API key or none; no cookie is read


@bp.route("/units")
def units():
    stmt = sa.select(Unit).where(Unit.active).order_by(Unit.category, Unit.code)
    return [{"code": u.code, "name": u.name, "category": u.category} for u in db.session.scalars(stmt)]


@bp.route("/units/<code>/windows")
@api_key_required
def unit_windows(code):
    """The unit's open service windows, for its business system to register services against."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code[:32]))
    require_key_unit(unit)
    stmt = sa.select(Window).where(Window.unit_id == unit.id, Window.active).order_by(Window.code)
    return [{"code": w.code, "name": w.name, "location": w.location} for w in db.session.scalars(stmt)]
