"""Points intervals (Welch–Satterthwaite t with the pooled-variance blend) and shrinkage, by hand and by
simulation."""
import math

import numpy as np
import pytest
from scipy.special import stdtrit

from stats.responses_io import Responses
from stats.scoring import score_units

T975 = lambda df: float(stdtrit(df, 0.975))  # noqa: E731


def test_interval_combines_the_groups_with_welch_satterthwaite_df(score):
    # A alone in its category. fixed 1.0, 0.6: s² = 0.08 = s₀², so s̃² = 0.08; nonfixed 0.8, n = 1: bound 0.25
    # Var = 0.6²·0.08/2 + 0.4²·0.25 = 0.0544; df = 0.0544² / (0.0144² / 1) (the bound adds no df term)
    unit = score([{"levels": (5,)}, {"levels": (3,)}, {"group": "nonfixed", "levels": (4,)}])["A"]
    half = T975(0.0544 ** 2 / 0.0144 ** 2) * math.sqrt(0.0544)
    assert unit["points_ci"] == pytest.approx([400 * (0.8 - half), 400.0])  # upper end clipped to 400


def test_identical_answers_no_longer_give_a_zero_width_interval(score):
    # A: 4 × 非常满意 (s² = 0); B: 1.0, 0.6 (s² = 0.08). Pooled fixed variance of category 1:
    # s₀² = (3·0 + 1·0.08) / 4 = 0.02; A's s̃² = (4·0.02 + 3·0) / (4 + 3); df = 3
    rows = [{"unit": "A"}] * 4 + [{"unit": "B", "levels": (5,)}, {"unit": "B", "levels": (3,)}]
    unit = score(rows)["A"]
    half = T975(3) * math.sqrt(4 * 0.02 / 7 / 4)
    assert unit["points"] == 400 and unit["points_ci"] == pytest.approx([400 * (1 - half), 400])
    assert unit["points_ci"][0] < 340
    alone = score([{"unit": "E"}] * 4)["E"]  # nothing to pool: the 0.25 bound is blended in
    assert alone["points_ci"][0] < 400 - 1


def test_a_large_unit_keeps_its_own_variance(score):
    # 400 responses 1.0 / 0.6: s² = 0.04·400/399 ≥ the blend, df = 399
    unit = score([{"levels": (5,)}, {"levels": (3,)}] * 200)["A"]
    lo, hi = unit["points_ci"]
    assert lo < unit["points"] < hi
    assert hi - lo == pytest.approx(2 * 400 * T975(399) * math.sqrt(0.04 * 400 / 399 / 400))


def test_shrinkage_pulls_units_to_the_category_mean_with_the_pooled_variance(score):
    # fixed only. A: 1.0, 0.8 (s² = 0.02); B: 0.3, 0.3 and C: 0.0, 0.0 (s² = 0). s₀² = 0.02/3, v = s₀²/2;
    # μ = 0.4, τ² = var(0.9, 0.3, 0.0) − v; every unit is pulled by v / (v + τ²), identical answers too
    answers = (("A", 5), ("A", 4), ("B", 2), ("B", 2), ("C", 1), ("C", 1))
    rows = [{"unit": u, "levels": (level,)} for u, level in answers]
    v = 0.02 / 3 / 2
    pull = v / (v + 0.21 - v)
    shrunk = score(rows, shrinkage=True)
    for code, mean in (("A", 0.9), ("B", 0.3), ("C", 0.0)):
        assert shrunk[code]["index"] == pytest.approx(pull * 0.4 + (1 - pull) * mean)
    assert score(rows)["A"]["index"] == pytest.approx(0.9)  # off by default


def test_shrinkage_moves_a_small_unanimous_unit(score):
    # A: 4 × 非常满意; B, C, D: spread answers. With v = s_A²/n = 0, A used to stay at 1.0.
    rows = [{"unit": "A"}] * 4 + [{"unit": u, "levels": (level,)} for u in "BCD" for level in (5, 4, 3, 2)]
    plain, shrunk = score(rows)["A"], score(rows, shrinkage=True)["A"]
    mean = (1.0 + 3 * (1.0 + 0.8 + 0.6 + 0.3) / 4) / 4
    assert plain["index"] == 1.0
    assert mean < shrunk["index"] < 1.0


PROBABILITIES = {  # of levels 5, 4, 3, 2, 1
    "typical": [0.45, 0.35, 0.12, 0.05, 0.03],
    "very satisfied": [0.85, 0.12, 0.03, 0.0, 0.0],
}


@pytest.mark.parametrize("name", PROBABILITIES)
def test_coverage_of_small_units_by_simulation(scheme, name):
    """400 units of one category with 5 fixed and 5 non-fixed respondents each; every respondent gives
    one level to all three items (the worst case for identical answers), so the true index is exact."""
    rng = np.random.default_rng(20240301)
    units, per_unit = 400, 10
    levels = rng.choice([5, 4, 3, 2, 1], size=units * per_unit, p=PROBABILITIES[name])
    values = np.array([0.0, 0.0, 0.3, 0.6, 0.8, 1.0])
    truth = 400 * float(np.dot(PROBABILITIES[name], values[[5, 4, 3, 2, 1]]))
    n = units * per_unit
    responses = Responses(
        response_id=[f"r{i}" for i in range(n)], unit=np.repeat(np.arange(units), per_unit).astype(np.int32),
        group=np.tile(np.repeat([0, 1], 5), units).astype(np.int8),
        submitted_at=np.datetime64("2024-03-01T09:00:00") + np.arange(n).astype("timedelta64[s]"),
        duration_s=np.full(n, np.nan), client=np.full(n, -1), window=np.full(n, -1),
        levels=np.repeat(levels[:, None], 3, axis=1).astype(np.int8), item_codes=("q1", "q2", "q3"))
    registry = [{"code": f"U{i}", "category": 1} for i in range(units)]
    scores = score_units(registry, responses, None, scheme["survey"], scheme["screening"], screen=False)
    intervals = np.array([unit["points_ci"] for unit in scores.units])
    covered = (intervals[:, 0] <= truth) & (truth <= intervals[:, 1])
    assert covered.mean() >= 0.9
    assert (intervals[:, 1] - intervals[:, 0]).min() > 0
