"""测评进度: each unit's responses against the scheme's targets ([survey] target_fixed, target_nonfixed),
the shortfall the office has to chase, and the days the campaign has left. Reads only."""
import csv
import io

import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.text import spreadsheet_safe
from app.registry.models import Unit
from surveys.operations import response_counts
from surveys.signals import live_screening_wanted

GROUPS = ("fixed", "nonfixed")


def days_left(campaign, today):
    """Days of the campaign still to come, today included; 0 once it has closed, None before it opens."""
    if today < campaign.opens_on:
        return None
    return max((campaign.closes_on - today).days + 1, 0)


def _unit_row(unit, counts, targets):
    row = {"code": unit.code, "name": unit.name, **counts.get(unit.id, {"fixed": 0, "nonfixed": 0})}
    row["total"] = row["fixed"] + row["nonfixed"]
    for group in GROUPS:
        row[f"target_{group}"] = targets[group]
        row[f"short_{group}"] = max(targets[group] - row[group], 0)
    row["shortfall"] = row["short_fixed"] + row["short_nonfixed"]
    return row


def count_table(campaign, category_labels, targets):
    """Response counts per active unit and group against `targets` ({"fixed": n, "nonfixed": n}), grouped
    by category, each category's units by shortfall (largest first), with subtotals and a total."""
    counts = response_counts(campaign) if campaign else {}
    categories, grand = {}, {"fixed": 0, "nonfixed": 0, "total": 0, "shortfall": 0, "behind": 0}
    for unit in db.session.scalars(sa.select(Unit).where(Unit.active).order_by(Unit.category, Unit.code)):
        row = _unit_row(unit, counts, targets)
        block = categories.setdefault(unit.category, {
            "category": unit.category, "name": category_labels.get(unit.category, str(unit.category)),
            "units": [], "totals": {"fixed": 0, "nonfixed": 0, "total": 0, "shortfall": 0, "behind": 0},
        })
        block["units"].append(row)
        for key in ("fixed", "nonfixed", "total", "shortfall"):
            block["totals"][key] += row[key]
            grand[key] += row[key]
        block["totals"]["behind"] += row["shortfall"] > 0
        grand["behind"] += row["shortfall"] > 0
    for block in categories.values():
        block["units"].sort(key=lambda row: -row["shortfall"])  # stable: code order among equals
    return list(categories.values()), grand


def per_day(row, left):
    """Responses a day the unit still needs to reach its targets in the days left (rounded up), or None."""
    if not left or not row["shortfall"]:
        return None
    return -(-row["shortfall"] // left)


def behind_csv(blocks, left):
    """The units behind target, largest shortfall first, as CSV text (UTF-8 with BOM for Excel)."""
    rows = sorted((row | {"category_name": block["name"]} for block in blocks for row in block["units"]
                   if row["shortfall"]), key=lambda row: -row["shortfall"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("类别", "单位代码", "单位名称", "固定服务对象答卷", "固定服务对象目标", "固定服务对象差额",
                     "非固定服务对象答卷", "非固定服务对象目标", "非固定服务对象差额", "合计差额", "剩余天数",
                     "每天还需"))
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in (
            row["category_name"], row["code"], row["name"], row["fixed"], row["target_fixed"], row["short_fixed"],
            row["nonfixed"], row["target_nonfixed"], row["short_nonfixed"], row["shortfall"],
            "" if left is None else left, per_day(row, left) or "")])
    return "\ufeff" + out.getvalue()


def live_alarms(campaign, now):
    """The current clock hour's stuffing alarms for `campaign` (see stats/web/live.py), bursts first."""
    if campaign is None:
        return []
    alarms = [alarm for _receiver, found in live_screening_wanted.send(None, campaign_id=campaign.id, now=now)
              for alarm in found]
    return sorted(alarms, key=lambda alarm: (alarm["kind"] != "burst", alarm["unit_code"], -alarm["count"]))
