"""Fixtures for the statisticians' layer: a small registry, a 2024 campaign and responses written
straight into the database (the survey pages are tested elsewhere)."""
import uuid
from datetime import datetime

import pytest

from app.kernel.extensions import db
from surveys.models import Answer, Response

YEAR = 2024
NOON = datetime(2024, 3, 1, 4, 0)  # stored times are naive UTC: 12:00 in Beijing


@pytest.fixture
def campaign(make):
    return make.campaign(year=YEAR)


@pytest.fixture
def respond(campaign):
    """respond(unit, group="nonfixed", level=5, levels={code: level}, at=..., duration=90, client=None, window=None)"""

    def _respond(unit, group="nonfixed", level=5, levels=None, at=NOON, duration=90, client=None, window=None):
        questionnaire = campaign.questionnaire_for(group)
        response = Response(
            public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id,
            window_id=window.id if window else None, group=group, questionnaire_id=questionnaire.id,
            channel="link" if group == "fixed" else "qr", duration_s=duration,
            submitted_at=at, client_hash=client)
        response.answers = [Answer(item_id=item.id, level=(levels or {}).get(item.code, level))
                            for item in questionnaire.items]
        db.session.add(response)
        db.session.flush()
        return response

    return _respond


@pytest.fixture
def scored_units(make, respond):
    """Two category-1 units and one category-2 unit with hand-checkable survey points.

    甲厅: fixed 1.0 and 0.6 (mean 0.8), non-fixed 0.8 → index 0.8, 320 points, rank 2
    乙厅: fixed 1.0, non-fixed 1.0 → 400 points, rank 1
    丙局 (category 2): no responses → no_data
    """
    first = make.unit(name="甲厅", code="A01", category=1)
    second = make.unit(name="乙厅", code="A02", category=1)
    third = make.unit(name="丙局", code="B01", category=2)
    respond(first, "fixed", level=5)
    respond(first, "fixed", level=3)
    respond(first, "nonfixed", level=4)
    respond(second, "fixed", level=5)
    respond(second, "nonfixed", level=5)
    return first, second, third


@pytest.fixture
def staff(login):
    return login("statistician")
