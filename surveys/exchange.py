"""Exchange records with the provincial platform: one record per rating (答卷) of a year, in CSV or JSON.

The fields are FIELDS, documented one by one in docs/exchange.md. What keeps a respondent anonymous:
- the rating id is opaque: a keyed hash of the response's internal id, so neither the platform nor a
  reader of the file can turn it back into our row, and it stays the same from one export to the next;
- a fixed respondent's rating carries its day only (as stored), never a time; it has no window;
- no comment, no client hash, no duration, no invitation, no staff member;
- records run in unit, time and opaque-id order, never in the order rows were written.
A 差评 given here is followed up by a callback case that is deliberately kept apart from the rating (see
complaints/operations.py): the record says so (handling_status "kept_apart") and carries no case dates.
A rating imported from the platform goes back with the platform's own id and handling as imported.
"""
import csv
import hashlib
import hmac
import json
from datetime import timezone

import sqlalchemy as sa
from flask import current_app

from app.audit import operations as audit
from app.kernel.clock import SHANGHAI, utcnow
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme, level_labels
from app.registry.models import Unit, Window
from surveys.models import Answer, Campaign, Group, Item, PlatformRating, Response
from surveys.services.models import ServiceRecord

FORMAT = "xiaoneng-exchange"
VERSION = 1
FIELDS = ("rating_id", "source", "unit_code", "window_code", "matter_code", "case_number", "channel",
          "respondent_group", "level", "level_label", "rated_on", "rated_time", "bad_rating",
          "handling_status", "called_back_on", "rectified_on")
OWN, PLATFORM = "xiaoneng", "platform"
KEPT_APART = "kept_apart"
ID_PREFIX = "XN-"
BATCH = 5000


def rating_id_key():
    """The key of the opaque rating ids: EXCHANGE_ID_KEY, else one derived from the app's secret key
    (changing either changes every id, and the platform would see new ratings)."""
    key = current_app.config.get("EXCHANGE_ID_KEY") or hmac.new(
        str(current_app.config["SECRET_KEY"]).encode(), b"exchange-rating-id", hashlib.sha256).hexdigest()
    return str(key).encode()


def opaque_id(public_id, key):
    return ID_PREFIX + hmac.new(key, public_id.encode(), hashlib.sha256).hexdigest()[:24]


def _summaries(bad_levels, overall):
    """Per response: its overall answer, the mean of its answered levels, and its number of bad answers."""
    is_bad = sa.case((Answer.level.in_(bad_levels), 1), else_=0)
    return (sa.select(Answer.response_id,
                      sa.func.max(sa.case((Item.dimension == overall, Answer.level))).label("overall"),
                      sa.func.avg(Answer.level).label("mean"), sa.func.sum(is_bad).label("bad"))
            .join(Item, Item.id == Answer.item_id).group_by(Answer.response_id).subquery())


def _rows(year, bad_levels, overall):
    summary = _summaries(bad_levels, overall)
    stmt = (sa.select(Response.public_id, Response.group, Response.channel, Response.submitted_at,
                      Unit.code, Window.code, summary.c.overall, summary.c.mean, summary.c.bad, PlatformRating,
                      ServiceRecord.matter_code, ServiceRecord.case_number)
            .join(Campaign, Campaign.id == Response.campaign_id).join(Unit, Unit.id == Response.unit_id)
            .outerjoin(Window, Window.id == Response.window_id)
            .outerjoin(summary, summary.c.response_id == Response.id)
            .outerjoin(PlatformRating, PlatformRating.response_id == Response.id)
            .outerjoin(ServiceRecord, ServiceRecord.response_id == Response.id)
            .where(Campaign.year == year)
            .order_by(Unit.code, Response.submitted_at, Response.public_id))
    return db.session.execute(stmt.execution_options(yield_per=BATCH))


def overall_level(overall, mean):
    """The rating's one level: its answer in the overall dimension, else its mean rounded half up."""
    if overall is not None:
        return int(overall)
    return None if mean is None else int(float(mean) + 0.5)


def _when(submitted_at, group):
    """(Beijing day, Beijing time) of a stored naive-UTC moment; a fixed respondent's time stays empty."""
    local = submitted_at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI)
    return local.date().isoformat(), "" if group == Group.fixed else local.strftime("%H:%M:%S")


def export_records(year):
    """The year's exchange records (dicts over FIELDS), as a generator: a large year is never held whole."""
    scheme = current_scheme()
    bad_levels = list(scheme["survey"]["bad_levels"])
    overall = scheme.get("exchange", {}).get("overall_dimension", "")
    key, labels = rating_id_key(), level_labels(scheme)
    for public_id, group, channel, submitted_at, unit, window, top, mean, bad, imported, matter, case in _rows(
            year, bad_levels, overall):
        level = overall_level(top, mean)
        day, time = _when(submitted_at, group)
        record = {"rating_id": imported.rating_id if imported else opaque_id(public_id, key),
                  "source": PLATFORM if imported else OWN, "unit_code": unit, "window_code": window or "",
                  "matter_code": matter or "", "case_number": case or "", "channel": channel, "respondent_group": group,
                  "level": level, "level_label": labels.get(level, ""), "rated_on": day, "rated_time": time,
                  "bad_rating": 1 if bad else 0, "handling_status": "", "called_back_on": "", "rectified_on": ""}
        if imported:
            record.update(handling_status=imported.handling_status,
                          called_back_on=_day(imported.called_back_on), rectified_on=_day(imported.rectified_on))
        elif bad:
            record["handling_status"] = KEPT_APART
        yield record


def _day(value):
    return value.isoformat() if value else ""


def write_csv(records, out):
    """CSV, UTF-8 with a BOM (spreadsheets open it right), a header of the field names; returns the count."""
    out.write("\ufeff")
    writer = csv.DictWriter(out, FIELDS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):
        writer.writerow({name: "" if record[name] is None else record[name] for name in FIELDS})
    return count


def write_json(records, out, year):
    """One JSON document: format, version, year, when, the field list and the records; returns the count."""
    head = {"format": FORMAT, "version": VERSION, "year": year,
            "exported_at": utcnow().replace(microsecond=0).isoformat() + "Z", "fields": list(FIELDS)}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [')
    count = 0
    for count, record in enumerate(records, 1):
        out.write(("\n" if count == 1 else ",\n") + json.dumps(record, ensure_ascii=False))
    out.write("\n]}\n")
    return count


def write(year, fmt, out, actor=None):
    """Write the year's export in `fmt` (csv or json) to `out` and record who took it; returns the count."""
    count = write_csv(export_records(year), out) if fmt == "csv" else write_json(export_records(year), out, year)
    audit.record("exchange.export", actor=actor, details={"year": year, "format": fmt, "count": count})
    return count
