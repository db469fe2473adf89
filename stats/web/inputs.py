"""The database's own data in the shapes the pure stats package takes, and the hashes a run freezes.

Units are the active registry ordered by code; responses are those of the year's campaigns, read in
batches of BATCH by ascending id so memory stays flat and the order (and so the hash) is stable.
"""
import hashlib
import json
from collections import defaultdict
from datetime import UTC

import numpy as np
import sqlalchemy as sa

from app.kernel.clock import local_today
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.registry.models import Unit, Window
from stats.responses_io import responses_from_records
from stats.web.models import Adjustment, PartScore, Reinstatement
from stats.web.signals import callback_counts_wanted
from surveys.models import Answer, Campaign, Item, Questionnaire, Response

BATCH = 20_000


class NoCampaign(Refusal):
    """The year has no survey campaign."""

    status = 404


def default_year():
    """The latest campaign's year, else this year in Beijing."""
    return db.session.scalar(sa.select(sa.func.max(Campaign.year))) or local_today().year


def registry_units():
    """[{"code", "name", "category"}] of the active units, ordered by code."""
    rows = db.session.execute(sa.select(Unit.code, Unit.name, Unit.category)
                              .where(Unit.active).order_by(Unit.code))
    return [{"code": code, "name": name, "category": category} for code, name, category in rows]


def _year_responses(year):
    return (sa.select(Response).join(Campaign, Campaign.id == Response.campaign_id)
            .join(Unit, Unit.id == Response.unit_id).where(Campaign.year == year, Unit.active))


def response_count(year):
    return db.session.scalar(sa.select(sa.func.count()).select_from(_year_responses(year).subquery()))


def campaign_items(year):
    """({item_id: key}, {key: {"weight", "dimension"}}) for every questionnaire the year uses.

    The key is the item's code. Questionnaires may reuse a code with another weight or dimension
    (a new version, or the fixed and non-fixed lists); those items are told apart as code@questionnaire-vN,
    so that each key has exactly one weight.
    """
    campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.year == year)).all()
    if not campaigns:
        raise NoCampaign(f"没有{year}年度的测评活动")
    used = {q for c in campaigns for q in (c.fixed_questionnaire_id, c.nonfixed_questionnaire_id)}
    used |= set(db.session.scalars(sa.select(Response.questionnaire_id).distinct()
                                   .join(Campaign, Campaign.id == Response.campaign_id)
                                   .where(Campaign.year == year)))
    rows = db.session.execute(sa.select(Item, Questionnaire.code, Questionnaire.version)
                              .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
                              .where(Item.questionnaire_id.in_(used))
                              .order_by(Item.questionnaire_id, Item.position, Item.id)).all()
    variants = defaultdict(set)
    for item, _, _ in rows:
        variants[item.code].add((float(item.weight), item.dimension or None))
    key_of, items = {}, {}
    for item, q_code, q_version in rows:
        key = item.code if len(variants[item.code]) == 1 else f"{item.code}@{q_code}-v{q_version}"
        key_of[item.id] = key
        items[key] = {"weight": float(item.weight), "dimension": item.dimension or None}
    return key_of, items


def response_records(year, key_of, progress=None):
    """Plain records for responses_from_records, batch by batch; progress(n) after each batch."""
    unit_code = dict(db.session.execute(sa.select(Unit.id, Unit.code)).all())
    window_code = dict(db.session.execute(sa.select(Window.id, Window.code)).all())
    columns = (Response.id, Response.public_id, Response.unit_id, Response.group, Response.submitted_at,
               Response.duration_s, Response.client_hash, Response.window_id, Response.address_hash)
    query = _year_responses(year).with_only_columns(*columns).order_by(Response.id)
    last = 0
    while batch := db.session.execute(query.where(Response.id > last).limit(BATCH)).all():
        levels = _batch_levels(batch[0].id, batch[-1].id, key_of)
        for row in batch:
            yield {
                "response_id": row.public_id, "unit_code": unit_code[row.unit_id], "group": row.group,
                # Stored times are naive UTC; the pure package reads naive times as Beijing time.
                "submitted_at": row.submitted_at.replace(tzinfo=UTC),
                "duration_s": row.duration_s,
                "client_hash": row.client_hash, "window_code": window_code.get(row.window_id),
                "address_hash": row.address_hash,
                "levels": levels.get(row.id, {}),
            }
        last = batch[-1].id
        if progress:
            progress(len(batch))


def _batch_levels(first_id, last_id, key_of):
    """{response row id: {item key: level}} for the responses in an id range (one range scan)."""
    levels = defaultdict(dict)
    rows = db.session.execute(sa.select(Answer.response_id, Answer.item_id, Answer.level)
                              .where(Answer.response_id.between(first_id, last_id)))
    for response_id, item_id, level in rows:
        if item_id in key_of:
            levels[response_id][key_of[item_id]] = level
    return levels


def database_responses(year, units, progress=None):
    """(Responses, items) of the year's campaigns; raises NoCampaign or the pure package's InputError."""
    key_of, items = campaign_items(year)
    item_codes = list(dict.fromkeys(key_of.values()))
    responses = responses_from_records(response_records(year, key_of, progress), units, item_codes)
    return responses, items


def parts_rows(year):
    """Imported parts of active units, ordered by unit code and part (the parts page's order)."""
    rows = db.session.execute(
        sa.select(PartScore, Unit.code).join(Unit, Unit.id == PartScore.unit_id)
        .where(PartScore.year == year, Unit.active).order_by(Unit.code, PartScore.part))
    return [{"unit_code": code, "part": p.part, "points": p.points, "source": p.source, "note": p.note}
            for p, code in rows]


def ledger_rows(year):
    """The year's ledger for active units, revoked lines included and marked, oldest first."""
    rows = db.session.execute(
        sa.select(Adjustment, Unit.code).join(Unit, Unit.id == Adjustment.unit_id)
        .where(Adjustment.year == year, Unit.active).order_by(Adjustment.created_at, Adjustment.id))
    return [{"id": a.id, "unit_code": code, "amount": a.amount, "reason": a.reason, "evidence": a.evidence,
             "origin": a.origin, "origin_ref": a.origin_ref, "created_at": a.created_at.isoformat(),
             "revoked": a.revoked_at is not None} for a, code in rows]


def reinstated_ids(year):
    return sorted(db.session.scalars(sa.select(Response.public_id)
                                     .join(Reinstatement, Reinstatement.response_id == Response.id)
                                     .where(Reinstatement.year == year)))


def digest(value):
    """SHA-256 of a JSON-ready value in canonical form."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def responses_digest(responses, items):
    """SHA-256 over every column of the responses and the item weights: equal inputs, equal hash."""
    h = hashlib.sha256()
    h.update("\x1f".join(responses.response_id).encode())
    for name in ("unit", "group", "submitted_at", "duration_s", "client", "window", "address", "levels"):
        h.update(np.ascontiguousarray(getattr(responses, name)).tobytes())
    h.update(digest([list(responses.item_codes), items]).encode())
    return h.hexdigest()


def callback_counts(year):
    """{unit code: callback case counts} of the year, as the receivers of callback_counts_wanted answer."""
    merged = {}
    for _receiver, answer in callback_counts_wanted.send(None, year=year):
        for code, counts in answer.items():
            merged.setdefault(code, {}).update(counts)
    return merged
