"""Fixtures for the stats tests: the default scheme, a small unit registry, and builders of responses."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from app.kernel.scheme import load_scheme
from stats.responses_io import responses_from_records
from stats.scoring import score_units

UNITS = [
    {"code": "A", "name": "甲厅", "category": 1},
    {"code": "B", "name": "乙厅", "category": 1},
    {"code": "C", "name": "丙厅", "category": 1},
    {"code": "D", "name": "丁厅", "category": 1},
    {"code": "E", "name": "戊局", "category": 2},
]
START = datetime(2024, 3, 1, 9, 0)


@pytest.fixture(scope="session")
def default_scheme() -> dict:
    return load_scheme("default")


@pytest.fixture
def scheme(default_scheme) -> dict:
    """A copy each test may change."""
    return copy.deepcopy(default_scheme)


@pytest.fixture(scope="session")
def units() -> list[dict]:
    """The registry; read-only (session-scoped so that hypothesis tests may use it)."""
    return UNITS


def record(i: int, row: dict, item_codes: tuple[str, ...]) -> dict:
    """A response record with defaults: unit A, fixed, all items 非常满意, one minute after the previous."""
    return {
        "response_id": row.get("id", f"r{i}"),
        "unit_code": row.get("unit", "A"),
        "group": row.get("group", "fixed"),
        "submitted_at": row.get("at", START + timedelta(minutes=i)),
        "duration_s": row.get("duration"),
        "client_hash": row.get("client"),
        "window_code": row.get("window"),
        "address_hash": row.get("address"),
        "levels": dict(zip(item_codes, row.get("levels", (5,) * len(item_codes)))),
    }


@pytest.fixture(scope="session")
def make_responses(units):
    """make_responses([{"unit": "B", "group": "nonfixed", "levels": (4, None)}, ...], item_codes=("q1", "q2"))"""
    def make(rows, item_codes=("q1",)):
        return responses_from_records([record(i, row, item_codes) for i, row in enumerate(rows)], units, item_codes)
    return make


@pytest.fixture
def score(scheme, units, make_responses):
    """score(rows, item_codes=..., items=..., screen=..., reinstated=..., **survey settings) → {unit_code: row}"""
    def run(rows, item_codes=("q1",), items=None, screen=True, reinstated=(), **survey):
        scores = score_units(units, make_responses(rows, item_codes), items, {**scheme["survey"], **survey},
                             scheme["screening"], screen=screen, reinstated=reinstated)
        return {row["unit_code"]: row for row in scores.units}
    return run
