"""The admins' audit page: entries newest first, filtered and paginated, with the chain's status."""
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from app.audit import operations
from app.audit.actions import ACTIONS, DETAIL_LABELS, OBJECT_TYPES
from app.audit.forms import AuditFilterForm
from app.kernel.clock import local_day_start, local_text
from app.kernel.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 50
QUICK_CHECK = 2000  # entries the page verifies on each view; "核验全部" walks them all
MAX_PAGE = 10_000  # a larger ?page= would overflow the database's OFFSET


@bp.before_request
@login_required
def _admins_only():
    # The registry's role guard is a layer above this package; the rule is the same: admins only.
    if not current_user.has_role("admin"):
        abort(403)


@bp.route("/")
def log():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    stmt = operations.search(**form.filters(), **_time_range(form)) if valid else operations.search().where(sa.false())
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = db.paginate(stmt, page=number, per_page=PER_PAGE, error_out=False)
    args = {key: value for key, value in request.args.items() if key not in ("page", "full") and value}
    chain = operations.verify(None if request.args.get("full") else QUICK_CHECK)
    return render_template("audit/log.html", form=form, page=page, chain=chain, args=args,
                           actions=ACTIONS, object_types=OBJECT_TYPES, details=details_text,
                           local=local_text), 200 if valid else 400


def _time_range(form):
    """[since, until] as Beijing calendar days, the end day included, turned into naive-UTC bounds."""
    since = local_day_start(form.since.data) if form.since.data else None
    until = local_day_start(form.until.data + timedelta(days=1)) if form.until.data else None
    return {"since": since, "until": until}


def details_text(entry):
    """An entry's details as [(label, text)] in words: yes/no for flags, "old → new" for changes."""
    details = operations.details_of(entry)
    changes = details.pop("changes", None)  # what changed reads best after what the object is
    shown = [(DETAIL_LABELS.get(key, key), _text(value)) for key, value in details.items()
             if value not in ("", {}, [], None)]
    return shown + ([(DETAIL_LABELS["changes"], _text(changes))] if changes else [])


def _text(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "（空）"
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(key, key)} {_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return " → ".join(map(_text, value))
    return str(value)
