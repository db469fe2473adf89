"""Screening while the campaign runs: the live counts page asks (surveys.signals.live_screening_wanted)
which window-hours and address hashes of the current clock hour look stuffed, so the office hears of a
burst within the hour, not only at score time. The rules are screening's own (stats.screening), run on the
last days' walk-in responses with the current hour as the tested family."""
from datetime import UTC, timedelta

import numpy as np
import sqlalchemy as sa

from app.kernel.clock import SHANGHAI
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from app.registry.models import Unit, Window
from stats.responses_io import responses_from_records
from stats.screening import BASELINES, address_test, burst_test, hour_text
from stats.web.inputs import registry_units
from stats.web.report import BASELINE_LABELS
from surveys.models import Group, Response

NO_ITEMS = ("-",)  # the rules here read no answers


def _records(campaign_id, since):
    """The walk-in responses since `since` (naive UTC) of the active units, as records for the pure reader."""
    unit_code = dict(db.session.execute(sa.select(Unit.id, Unit.code).where(Unit.active)).all())
    window_code = dict(db.session.execute(sa.select(Window.id, Window.code)).all())
    rows = db.session.execute(
        sa.select(Response.public_id, Response.unit_id, Response.submitted_at, Response.client_hash,
                  Response.window_id, Response.address_hash)
        .where(Response.campaign_id == campaign_id, Response.group == Group.nonfixed, Response.submitted_at >= since))
    for row in rows:
        if row.unit_id in unit_code:
            yield {"response_id": row.public_id, "unit_code": unit_code[row.unit_id], "group": "nonfixed",
                   "submitted_at": row.submitted_at.replace(tzinfo=UTC), "duration_s": None,
                   "client_hash": row.client_hash, "window_code": window_code.get(row.window_id),
                   "address_hash": row.address_hash, "levels": {}}


def live_alarms(campaign_id, now):
    """The current hour's alarms for the campaign, `now` naive UTC: dicts with kind ("burst" or
    "address_burst"), unit_code, unit_name, hour and count; a burst adds window_code, window_name,
    expected, baseline and baseline_label; an address burst adds limit. Nothing that names an address."""
    params = current_scheme()["screening"]
    units = registry_units()
    records = list(_records(campaign_id, now - timedelta(days=params["live_history_days"])))
    if not records:
        return []
    responses = responses_from_records(records, units, NO_ITEMS)
    # the pure rules count Beijing wall-clock hours
    current = int(np.datetime64(now.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None), "h")
                  .astype(np.int64))
    alive = np.ones(len(responses), bool)
    by_address = address_test(responses, alive, params["address_hour_max"], family_from=current)
    bursts = burst_test(responses, alive, params["burst_alpha"], params["burst_min_hours"],
                        np.array([u["category"] for u in units]), family_from=current)
    return _address_alarms(by_address, responses, units) + _burst_alarms(bursts, responses, units, records)


def _unit_of_cell(cells, responses):
    unit = np.zeros(len(cells.count), np.int64)
    unit[cells.cell_of_row] = responses.unit[cells.rows]
    return unit


def _address_alarms(test, responses, units):
    unit = _unit_of_cell(test.cells, responses)
    return [{"kind": "address_burst", "unit_code": units[unit[c]]["code"], "unit_name": units[unit[c]]["name"],
             "hour": hour_text(test.cells.hour[c]), "count": int(test.cells.count[c]), "limit": test.limit}
            for c in np.flatnonzero(test.flagged).tolist()]


def _burst_alarms(test, responses, units, records):
    unit = _unit_of_cell(test.cells, responses)
    first_row = np.zeros(len(test.cells.count), np.int64)
    first_row[test.cells.cell_of_row[::-1]] = test.cells.rows[::-1]
    names = dict(db.session.execute(sa.select(Window.code, Window.name)).all())
    alarms = []
    for c in np.flatnonzero(test.flagged).tolist():
        code = records[first_row[c]]["window_code"]
        alarms.append({"kind": "burst", "unit_code": units[unit[c]]["code"], "unit_name": units[unit[c]]["name"],
                       "window_code": code, "window_name": names.get(code, code), "hour": hour_text(test.cells.hour[c]),
                       "count": int(test.cells.count[c]), "expected": float(test.rate[c]),
                       "baseline": BASELINES[test.baseline[c]],
                       "baseline_label": BASELINE_LABELS[BASELINES[test.baseline[c]]]})
    return alarms
