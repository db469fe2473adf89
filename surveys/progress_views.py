"""测评进度 pages: live counts per unit against the scheme's targets, as a page, JSON and a CSV of the units
behind target."""
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request

from app.kernel.clock import local_today, utcnow
from app.kernel.extensions import db
from app.kernel.scheme import category_names, current_scheme
from app.registry.auth import role_required
from surveys import operations as ops, progress
from surveys.models import Campaign

bp = Blueprint("survey_progress", __name__, url_prefix="/admin/surveys")

STAFF = ("admin", "statistician")


def _campaign():
    campaign_id = request.args.get("campaign", "")
    if campaign_id.isdigit():
        return db.get_or_404(Campaign, int(campaign_id))
    return ops.current_campaign(local_today())


def _counts():
    """(campaign, blocks, totals, targets, days left) of the requested or current campaign."""
    campaign = _campaign()
    scheme = current_scheme()
    targets = {group: scheme["survey"][f"target_{group}"] for group in progress.GROUPS}
    blocks, totals = progress.count_table(campaign, category_names(scheme), targets)
    left = progress.days_left(campaign, local_today()) if campaign else None
    return campaign, blocks, totals, targets, left


@bp.route("/counts")
@role_required(*STAFF)
def counts():
    campaign, blocks, totals, targets, left = _counts()
    return render_template("surveys/admin/counts.html", campaign=campaign, blocks=blocks, totals=totals,
                           targets=targets, days_left=left, per_day=progress.per_day,
                           alarms=progress.live_alarms(campaign, utcnow()))


@bp.route("/counts.json")
@role_required(*STAFF)
def counts_json():
    campaign, blocks, totals, targets, left = _counts()
    about = None if campaign is None else {
        "id": campaign.id, "year": campaign.year, "name": campaign.name,
        "opens_on": campaign.opens_on.isoformat(), "closes_on": campaign.closes_on.isoformat(),
    }
    return {"campaign": about, "categories": blocks, "totals": totals, "targets": targets, "days_left": left,
            "alarms": progress.live_alarms(campaign, utcnow())}


@bp.route("/counts/behind.csv")
@role_required(*STAFF)
def behind_csv():
    campaign, blocks, _totals, _targets, left = _counts()
    name = f"未达目标单位-{campaign.year if campaign else ''}.csv"
    return Response(progress.behind_csv(blocks, left).encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=\"behind-target.csv\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})
