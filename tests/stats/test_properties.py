"""Properties over random data, and the purity of the stats package."""
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

from stats.scoring import score_units

REPO = Path(__file__).resolve().parents[2]
UNIT_CODES = ("A", "B", "C", "D", "E")  # the registry of conftest.py
ITEMS = ("q1", "q2", "q3")
START = datetime(2024, 3, 1, 8, 0)
# database=None: no .hypothesis directory in the repository; deadline=None: the first call imports scipy
SETTINGS = settings(database=None, deadline=None, max_examples=60)

answer = st.sampled_from([None, 1, 2, 3, 4, 5])
response = st.fixed_dictionaries({
    "unit": st.sampled_from(UNIT_CODES),
    "group": st.sampled_from(["fixed", "nonfixed"]),
    "levels": st.tuples(answer, answer, answer),
    "duration": st.one_of(st.none(), st.floats(1, 600)),
    "client": st.sampled_from([None, "c1", "c2"]),
    "window": st.sampled_from([None, "W1", "W2"]),
    "minute": st.integers(0, 60 * 48),
})


def identified(rows):
    """Give each row a unique id and a distinct time, so that no rule breaks a tie by input order."""
    return [{**row, "id": f"r{i}", "at": START + timedelta(minutes=row["minute"], seconds=i)}
            for i, row in enumerate(rows)]


def score(rows, scheme, units, make_responses, screen=True):
    responses = make_responses(rows, ITEMS)
    return score_units(units, responses, None, scheme["survey"], scheme["screening"], screen=screen)


def onto_scale(levels, scale):
    """Move levels a preset lacks onto it (undefined levels are an error, tested elsewhere)."""
    if scale == "three":
        return tuple(None if v is None else 2 * ((v - 1) // 2) + 1 for v in levels)
    if scale == "four":
        return tuple(None if v is None else max(v, 2) for v in levels)
    return levels


@SETTINGS
@given(rows=st.lists(response, max_size=60), scale=st.sampled_from(["five", "three", "four"]))
def test_points_and_intervals_stay_within_the_part_maximum(default_scheme, units, make_responses, rows, scale):
    scheme = {**default_scheme, "survey": {**default_scheme["survey"], "scale": scale}}
    rows = [{**row, "levels": onto_scale(row["levels"], scale)} for row in identified(rows)]
    for unit in score(rows, scheme, units, make_responses).units:
        if unit["points"] is None:
            assert unit["points_ci"] is None and unit["rank"] is None
            continue
        lo, hi = unit["points_ci"]
        assert 0 <= lo <= unit["points"] + 1e-9
        assert unit["points"] - 1e-9 <= hi <= 400
        assert 0 <= unit["points"] <= 400


@SETTINGS
@given(rows=st.lists(response, max_size=60), rnd=st.randoms(use_true_random=False))
def test_permuting_rows_changes_nothing(default_scheme, units, make_responses, rows, rnd):
    _assert_order_free(identified(rows), rnd, default_scheme, units, make_responses)


@SETTINGS
@given(rows=st.lists(st.tuples(response, st.integers(0, 7), st.integers(0, 2)), max_size=60),
       rnd=st.randoms(use_true_random=False))
def test_permuting_rows_changes_nothing_even_with_ties(default_scheme, units, make_responses, rows, rnd):
    """Ids drawn from a small pool (duplicate ids) and times from three seconds (same-second ties)."""
    rows = [{**row, "id": f"r{rid}", "at": START + timedelta(seconds=second)} for row, rid, second in rows]
    _assert_order_free(rows, rnd, default_scheme, units, make_responses)


def _assert_order_free(rows, rnd, scheme, units, make_responses):
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    original = score(rows, scheme, units, make_responses)
    permuted = score(shuffled, scheme, units, make_responses)
    assert permuted.units == original.units
    assert sorted(permuted.excluded) == sorted(original.excluded)
    assert sorted(permuted.straightline) == sorted(original.straightline)


@SETTINGS
@given(rows=st.lists(response, max_size=60), unit_code=st.sampled_from(UNIT_CODES),
       group=st.sampled_from(["fixed", "nonfixed"]))
def test_a_very_satisfied_response_never_lowers_the_index(default_scheme, units, make_responses, rows,
                                                          unit_code, group):
    rows = identified(rows)
    extra = {"id": "extra", "unit": unit_code, "group": group, "levels": (5, 5, 5)}
    before = score(rows, default_scheme, units, make_responses, screen=False).units
    after = score(rows + [extra], default_scheme, units, make_responses, screen=False).units
    i = UNIT_CODES.index(unit_code)
    assert after[i]["index"] >= (before[i]["index"] or 0.0) - 1e-12
    others = [j for j in range(len(UNIT_CODES)) if j != i]
    assert [after[j]["index"] for j in others] == [before[j]["index"] for j in others]


def test_empty_input_scores_every_unit_as_no_data(default_scheme, units, make_responses):
    result = score([], default_scheme, units, make_responses)
    assert [unit["flags"] for unit in result.units] == [["no_data"]] * len(UNIT_CODES)
    assert result.excluded == [] and not np.any(result.valid)


def test_pure_modules_import_neither_flask_nor_sqlalchemy():
    code = ("import sys, stats, stats.scoring, stats.screening, stats.intervals, stats.ranking, "
            "stats.totals, stats.responses_io; "
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy')); "
            "assert not loaded, loaded; print('pure')")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure"
