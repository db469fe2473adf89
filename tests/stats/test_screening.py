"""Each screening reason, their precedence, straight-lining and reinstatement."""
from datetime import datetime, timedelta

import numpy as np
import pytest

from stats.screening import holm_reject, screen_responses

T0 = datetime(2024, 3, 4, 9, 0)


@pytest.fixture
def screen(scheme, make_responses):
    """screen(rows, item_codes=..., reinstated=..., enabled=...) → Screening"""
    def run(rows, item_codes=("q1",), reinstated=(), enabled=True):
        responses = make_responses(rows, item_codes)
        empty = ~(responses.levels > 0).any(axis=1)
        return screen_responses(responses, empty, scheme["screening"], reinstated=reinstated, enabled=enabled)
    return run


def test_duplicate_id_keeps_the_earliest_submission(screen):
    rows = [{"id": "x", "at": T0 + timedelta(hours=2)}, {"id": "x", "at": T0}, {"id": "y"},
            {"id": "x", "at": T0 + timedelta(hours=1)}]
    result = screen(rows)
    assert result.excluded == [("x", "duplicate_id"), ("x", "duplicate_id")]
    assert result.valid.tolist() == [False, True, True, False]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_same_second_copies_of_an_id_keep_the_same_copy_whatever_the_row_order(screen, order):
    copies = [{"id": "x", "at": T0, "unit": "B", "levels": (1,)}, {"id": "x", "at": T0, "unit": "A", "levels": (5,)}]
    result = screen([copies[i] for i in order])
    kept = [copies[i]["unit"] for i, valid in zip(order, result.valid) if valid]
    assert kept == ["A"]  # ordered by content: the copy of the unit listed first in the registry


@pytest.mark.parametrize("ids", [("a", "b"), ("b", "a")])
def test_same_second_repeats_of_a_client_keep_the_lowest_response_id(screen, ids):
    rows = [{"group": "nonfixed", "client": "c1", "at": T0, "id": rid} for rid in ids]
    assert screen(rows).excluded == [("b", "repeat_client")]


def test_empty_response(screen):
    result = screen([{"levels": (None, None)}, {"levels": (None, 4)}], item_codes=("q1", "q2"))
    assert result.excluded == [("r0", "empty")]


def test_repeat_client_compares_with_the_last_kept_response(screen):
    hours = [0, 10, 23, 25, 30, 49]  # kept: 0, 25 (≥ 24 h after 0), 49 (exactly 24 h after 25)
    rows = [{"group": "nonfixed", "client": "c1", "at": T0 + timedelta(hours=h)} for h in hours]
    result = screen(rows)
    assert result.valid.tolist() == [True, False, False, True, False, True]
    assert {reason for _, reason in result.excluded} == {"repeat_client"}


def test_repeat_client_only_within_one_unit_nonfixed_and_a_known_client(screen):
    rows = [
        {"group": "nonfixed", "client": "c1", "unit": "A"},
        {"group": "nonfixed", "client": "c1", "unit": "B"},   # other unit
        {"group": "fixed", "client": "c1", "unit": "A"},      # fixed respondents are invited one by one
        {"group": "nonfixed", "client": "", "unit": "A"},
        {"group": "nonfixed", "client": None, "unit": "A"},   # empty client hash never matches
        {"group": "nonfixed", "client": "c1", "unit": "A"},   # the only repeat
    ]
    assert screen(rows).excluded == [("r5", "repeat_client")]


def test_speeder_below_share_of_group_median(screen):
    rows = [{"group": "nonfixed", "duration": 100.0}] * 97 + [
        {"group": "nonfixed", "duration": 29.9, "id": "fast"},
        {"group": "nonfixed", "duration": 30.0, "id": "at_limit"},
        {"group": "nonfixed", "duration": 100.0},
        {"group": "nonfixed", "duration": None, "id": "untimed"},
        {"group": "fixed", "duration": 1.0, "id": "fixed_group_is_small"},
    ]
    assert screen(rows).excluded == [("fast", "speeder")]


def test_no_speeders_below_the_minimum_group_size(screen):
    rows = [{"duration": 100.0}] * 98 + [{"duration": 1.0}]
    assert screen(rows).excluded == []


def test_a_quick_service_unit_is_not_measured_against_slower_units(screen):
    # A simple service window: every walk-in at A takes 30 s, at B 200 s. A pooled median (115 s) would
    # make all of A's responses speeders; each unit's own median excludes nobody.
    rows = [{"unit": "A", "group": "nonfixed", "duration": 30.0}] * 100
    rows += [{"unit": "B", "group": "nonfixed", "duration": 200.0}] * 100
    assert screen(rows).excluded == []
    rows += [{"unit": "B", "group": "nonfixed", "duration": 20.0, "id": "quick_at_B"}]
    assert screen(rows).excluded == [("quick_at_B", "speeder")]


def test_speeders_need_the_minimum_within_the_unit(screen):
    # 99 timed responses at A are too few for A's median, however many other units have
    rows = [{"unit": "A", "duration": 100.0}] * 98 + [{"unit": "A", "duration": 1.0, "id": "fast"}]
    rows += [{"unit": "B", "duration": 100.0}] * 200
    assert screen(rows).excluded == []


def burst_rows(peak: int) -> list[dict]:
    """Window W1: 2 responses an hour for 50 hours, then `peak` responses within one hour."""
    rows = [{"group": "nonfixed", "window": "W1", "at": T0 + timedelta(hours=h, minutes=m)}
            for h in range(50) for m in (10, 40)]
    rows += [{"group": "nonfixed", "window": "W1", "id": f"b{i}", "at": T0 + timedelta(hours=60, seconds=10 * i)}
             for i in range(peak)]
    return rows


def test_burst_holds_every_response_of_the_window_hour(screen):
    result = screen(burst_rows(30) + [{"window": None, "at": T0 + timedelta(hours=60)}])
    assert result.excluded == [(f"b{i}", "burst") for i in range(30)]


def test_the_burst_does_not_raise_its_own_baseline(screen):
    # hourly counts 1, 1, 1, 9: the median 1 makes 9 improbable (p ≈ 1e-6 < 0.01/4); a mean of 3 would not
    rows = [{"window": "W1", "at": T0 + timedelta(hours=h)} for h in range(3)]
    rows += [{"window": "W1", "id": f"b{i}", "at": T0 + timedelta(hours=5, minutes=i)} for i in range(9)]
    assert [reason for _, reason in screen(rows).excluded] == ["burst"] * 9


def test_a_window_needs_three_active_hours_to_be_tested(screen):
    # two active hours, 1 and 40 responses: their median (20.5) is no baseline, so nothing is tested
    rows = [{"window": "W1", "at": T0}]
    rows += [{"window": "W1", "id": f"b{i}", "at": T0 + timedelta(hours=5, seconds=i)} for i in range(40)]
    assert screen(rows).excluded == []
    rows += [{"window": "W1", "at": T0 + timedelta(hours=1)}]  # a third hour: median 1, the 40 stand out
    assert [reason for _, reason in screen(rows).excluded] == ["burst"] * 40


def test_a_busy_but_plausible_hour_is_not_a_burst(screen):
    assert screen(burst_rows(6)).excluded == []


def test_holm_step_down():
    # sorted: 0.001 ≤ 0.05/4, 0.014 ≤ 0.05/3, 0.02 ≤ 0.05/2, 0.5 > 0.05 (Bonferroni would stop at 0.014)
    assert holm_reject(np.array([0.5, 0.014, 0.001, 0.02]), 0.05).tolist() == [False, True, True, True]
    # the first failure stops the procedure even if a later p would pass its own threshold
    assert holm_reject(np.array([0.04, 0.03]), 0.05).tolist() == [False, False]  # 0.03 > 0.05/2


def test_precedence_of_reasons(screen):
    rows = [{"id": "x"}, {"id": "x", "levels": (None,)}]  # duplicate and empty
    assert screen(rows).excluded == [("x", "duplicate_id")]
    rows = [{"group": "nonfixed", "duration": 100.0, "client": f"c{i}"} for i in range(120)]
    rows += [{"group": "nonfixed", "duration": 1.0, "client": "c0", "id": "both"}]  # repeat and speeder
    assert screen(rows).excluded == [("both", "repeat_client")]


def test_straightlining_is_reported_not_excluded(screen):
    rows = [{"levels": (5, 5, 5)}, {"levels": (4, None, 4)}, {"levels": (5, 4, 5)}, {"levels": (3, None, None)}]
    result = screen(rows, item_codes=("q1", "q2", "q3"))
    assert result.straightline == ["r0", "r1"]
    assert result.valid.all()


def test_reinstatement_overrides_all_but_empty_and_duplicate(screen):
    rows = [{"group": "nonfixed", "client": "c", "id": "first"},
            {"group": "nonfixed", "client": "c", "id": "again"},
            {"levels": (None,), "id": "blank"},
            {"id": "first"}]
    result = screen(rows, reinstated={"again", "blank", "first"})
    assert result.excluded == [("blank", "empty"), ("first", "duplicate_id")]


def test_disabled_screening_excludes_only_empty(screen):
    rows = [{"id": "x"}, {"id": "x"}, {"levels": (None,)}]
    assert screen(rows, enabled=False).excluded == [("r2", "empty")]
