"""Fixtures for the statisticians' layer: a small registry, a 2024 campaign and responses written
straight into the database (the survey pages are tested elsewhere)."""
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from app.kernel import scheme as scheme_module
from app.kernel.extensions import db
from surveys.models import Answer, Response

YEAR = 2024
NOON = datetime(2024, 3, 1, 4, 0)  # stored times are naive UTC: 12:00 in Beijing


@pytest.fixture
def campaign(make):
    return make.campaign(year=YEAR)


@pytest.fixture
def respond(campaign):
    """respond(unit, group="nonfixed", level=5, levels={code: level}, at=..., duration=90, client=None, window=None,
    address=None)"""

    def _respond(unit, group="nonfixed", level=5, levels=None, at=NOON, duration=90, client=None, window=None,
                 address=None):
        questionnaire = campaign.questionnaire_for(group)
        response = Response(
            public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id,
            window_id=window.id if window else None, group=group, questionnaire_id=questionnaire.id,
            channel="link" if group == "fixed" else "qr", duration_s=duration,
            submitted_at=at, client_hash=client, address_hash=address)
        response.answers = [Answer(item_id=item.id, level=(levels or {}).get(item.code, level))
                            for item in questionnaire.items]
        db.session.add(response)
        db.session.flush()
        return response

    return _respond


@pytest.fixture(autouse=True)
def _ranking_from_few(request, monkeypatch, tmp_path):
    """The schemes as shipped, except that a unit is ranked from the test module's MIN_RANKED valid
    responses (default 1): the hand-checkable fixtures here give a unit two or three responses, far below
    the shipped 30. The app's scheme and a scheme named in a call (create_run(…, "default")) both read it."""
    min_ranked = getattr(request.module, "MIN_RANKED", 1)
    folder = tmp_path / "schemes"
    folder.mkdir()
    for path in Path(scheme_module.SCHEMES_DIR).glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(re.sub(r"(?m)^min_ranked = \d+", f"min_ranked = {min_ranked}", text),
                                        encoding="utf-8")
    monkeypatch.setattr(scheme_module, "SCHEMES_DIR", str(folder))


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
