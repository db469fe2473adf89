"""JSON API (v1) for integration with portals and hotlines."""
import sqlalchemy as sa
from flask import Blueprint

from app.kernel.extensions import db
from app.registry.models import Unit

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/units")
def units():
    stmt = sa.select(Unit).where(Unit.active).order_by(Unit.category, Unit.code)
    return [{"code": u.code, "name": u.name, "category": u.category} for u in db.session.scalars(stmt)]
