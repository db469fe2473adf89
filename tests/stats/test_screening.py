"""Each screening reason, their precedence, straight-lining and reinstatement."""
from datetime import datetime, timedelta

import numpy as np
import pytest

from stats.screening import burst_test, holm_reject, screen_responses

T0 = datetime(2024, 3, 4, 9, 0)


@pytest.fixture
def screen(scheme, units, make_responses):
    """screen(rows, item_codes=..., reinstated=..., enabled=...) → Screening"""
    def run(rows, item_codes=("q1",), reinstated=(), enabled=True):
        responses = make_responses(rows, item_codes)
        empty = ~(responses.levels > 0).any(axis=1)
        return screen_responses(responses, empty, scheme["screening"], reinstated=reinstated, enabled=enabled,
                                unit_category=np.array([unit["category"] for unit in units]))
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


def test_burst_evidence_names_the_hour_the_count_and_the_expected_rate(screen):
    result = screen(burst_rows(30))
    evidence = result.evidence["b0"]
    assert evidence["hour"] == "2024-03-06T21:00" and evidence["count"] == 30
    assert evidence["expected"] == 2 and evidence["baseline"] == "window" and evidence["p"] < 1e-10
    assert "address_count" not in evidence, "no address hash, no address count"


def test_a_new_window_is_measured_against_its_units_other_windows(screen):
    """Issue 9, failure 3: a burst on a window with no history was never tested."""
    rows = burst_rows(0)  # W1 of unit A: two an hour for 50 hours
    rows += [{"group": "nonfixed", "window": "NEW", "id": f"n{i}", "address": "h1",
              "at": T0 + timedelta(hours=70, seconds=i)} for i in range(40)]
    result = screen(rows)
    assert {rid for rid, _ in result.excluded} == {f"n{i}" for i in range(40)}
    assert {reason for _, reason in result.excluded} == {"address_burst"}, "one address: caught first by it"
    rows = [dict(row, address=f"h{i}") if row.get("window") == "NEW" else row for i, row in enumerate(rows)]
    result = screen(rows)
    assert [reason for _, reason in result.excluded] == ["burst"] * 40
    assert result.evidence["n0"]["baseline"] == "unit" and result.evidence["n0"]["expected"] == 2


def test_a_new_units_window_is_measured_against_its_category(screen):
    rows = burst_rows(0)  # unit A (category 1)
    rows += [{"group": "nonfixed", "unit": "B", "window": "B1", "id": f"n{i}",
              "at": T0 + timedelta(hours=70, seconds=i)} for i in range(20)]
    result = screen(rows)
    assert [reason for _, reason in result.excluded] == ["burst"] * 20
    assert result.evidence["n0"]["baseline"] == "category"
    other_category = [dict(row, unit="E") if row.get("unit") == "B" else row for row in rows]
    assert screen(other_category).excluded == [], "category 2 has no history: nothing to measure against"


def test_many_responses_from_one_address_hash_in_one_hour(screen, scheme):
    limit = scheme["screening"]["address_hour_max"]
    # a script rotating browsers and windows of one unit: every client differs, one address
    rows = [{"group": "nonfixed", "client": f"c{i}", "window": f"W{i % 4}", "address": "h1", "id": f"s{i}",
             "at": T0 + timedelta(minutes=3 * i % 60)} for i in range(limit + 1)]
    result = screen(rows)
    assert [reason for _, reason in result.excluded] == ["address_burst"] * (limit + 1)
    assert result.evidence["s0"] == {"hour": "2024-03-04T09:00", "address_count": limit + 1, "limit": limit}
    assert screen(rows[:limit]).excluded == [], "up to the limit: a shared office network"
    spread = [dict(row, at=T0 + timedelta(hours=i)) for i, row in enumerate(rows)]
    assert screen(spread).excluded == [], "the same address over several hours"
    other_units = [dict(row, unit="AB"[i % 2]) for i, row in enumerate(rows)]
    assert screen(other_units).excluded == [], "counted per unit"
    fixed = [dict(row, group="fixed") for row in rows]
    assert screen(fixed).excluded == []


def test_a_burst_response_shows_how_many_came_from_its_address(screen):
    rows = burst_rows(30)
    rows = [dict(row, address="h1" if row.get("id", "").startswith("b") and int(row["id"][1:]) < 12 else None)
            for row in rows]
    result = screen(rows)
    assert result.evidence["b0"]["address_count"] == 12 and "address_count" not in result.evidence["b20"]


def test_the_family_can_be_the_last_hour_only(make_responses):
    """The live counts page tests this hour alone: the history's own bursts do not dilute it."""
    responses = make_responses(burst_rows(9))
    alive = np.ones(len(responses), bool)
    everything = burst_test(responses, alive, 0.01, 3)
    last_hour = int(responses.submitted_at.max().astype("datetime64[h]").astype(np.int64))
    latest = burst_test(responses, alive, 0.01, 3, family_from=last_hour)
    assert latest.flagged.sum() == 1 and latest.p[latest.flagged][0] <= everything.p.max()
    assert (latest.cells.hour[latest.flagged] == last_hour).all()


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
