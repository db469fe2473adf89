"""Hand-computed cases for response scores, unit indices, points, flags, ranks and intervals."""
import json

import numpy as np
import pytest

from stats.ranking import competition_ranks
from stats.scoring import dimension_indices, level_values, response_scores, result_dict, score_units


def test_five_level_values_are_the_schemes(score):
    rows = [{"unit": unit, "levels": (level,)} for unit, level in zip("ABCDE", (5, 4, 3, 2, 1))]
    result = score(rows)
    assert [result[u]["index"] for u in "ABCDE"] == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.0])


def test_unanswered_items_are_left_out_of_the_score(score):
    # 非常满意 1.0 and 基本满意 0.6 answered, the middle item 不了解/blank: (1.0 + 0.6) / 2
    result = score([{"levels": (5, None, 3)}], item_codes=("q1", "q2", "q3"))
    assert result["A"]["index"] == pytest.approx(0.8)


def test_item_weights_weigh_the_score(score):
    items = {"q1": {"weight": 3.0}, "q2": {"weight": 1.0}}
    assert score([{"levels": (5, 1)}], item_codes=("q1", "q2"), items=items)["A"]["index"] == pytest.approx(0.75)
    # an item missing from `items` weighs 1
    assert score([{"levels": (5, 1)}], item_codes=("q1", "q2"), items={"q1": {"weight": 3.0}})["A"]["index"] \
        == pytest.approx(0.75)


def test_response_without_answers_is_excluded_as_empty(scheme, units, make_responses):
    responses = make_responses([{"levels": (None, None)}, {"levels": (4, 4)}], item_codes=("q1", "q2"))
    scores = score_units(units, responses, None, scheme["survey"], scheme["screening"])
    assert scores.excluded == [("r0", "empty")]
    assert scores.units[0]["n_fixed"] == 1
    assert scores.units[0]["index"] == pytest.approx(0.8)


def test_index_weighs_the_group_means(score):
    rows = [{"levels": (5,)}, {"levels": (3,)}, {"group": "nonfixed", "levels": (2,)}]
    unit = score(rows)["A"]
    assert unit["index_fixed"] == pytest.approx(0.8)
    assert unit["index_nonfixed"] == pytest.approx(0.3)
    assert unit["index"] == pytest.approx(0.6 * 0.8 + 0.4 * 0.3)
    assert unit["points"] == pytest.approx(400 * 0.6)
    assert (unit["n_fixed"], unit["n_nonfixed"]) == (2, 1)


def test_missing_group_takes_the_other_groups_index(score):
    unit = score([{"group": "nonfixed", "levels": (4,)}] * 2)["A"]
    assert unit["index_fixed"] is None
    assert unit["index"] == pytest.approx(0.8)
    assert unit["points"] == pytest.approx(320.0)
    assert unit["flags"] == ["missing_group", "small_sample", "below_min_sample"]


def test_small_sample_is_below_thirty_valid_responses(score):
    full = [{"group": "fixed"}] * 30 + [{"group": "nonfixed"}] * 30
    assert score(full)["A"]["flags"] == []
    assert score(full[1:])["A"]["flags"] == ["small_sample"]


def test_unit_without_valid_responses_has_no_points_and_no_rank(score):
    result = score([{"unit": "A"}], min_ranked=1)
    assert result["B"]["points"] is None
    assert result["B"]["index"] is None
    assert result["B"]["points_ci"] is None
    assert result["B"]["rate_fixed"] is None
    assert result["B"]["rank"] is None
    assert result["B"]["flags"] == ["no_data"] and result["B"]["below_min_sample"] is True
    assert result["A"]["rank"] == 1 and result["A"]["below_min_sample"] is False


def test_three_level_preset(score):
    rows = [{"unit": u, "levels": (level,)} for u, level in zip("ABC", (5, 3, 1))]
    result = score(rows, scale="three")
    assert [result[u]["index"] for u in "ABC"] == pytest.approx([1.0, 0.6, 0.0])


def test_four_level_preset_hundred_dissatisfied_give_half_the_points(score):
    unit = score([{"levels": (2,)}] * 100, scale="four", max_points=100)["A"]
    assert unit["index"] == pytest.approx(0.5)
    assert unit["points"] == pytest.approx(50.0)


def test_level_outside_the_scale_is_a_clear_error(score):
    with pytest.raises(ValueError, match=r"答卷 r1 的等级 4 不在所选量表中.*5, 3, 1"):
        score([{"levels": (5,)}, {"levels": (4,)}], scale="three")


def test_unknown_scale_is_an_error(scheme):
    with pytest.raises(ValueError, match="没有量表 'seven'"):
        level_values(scheme["survey"], "seven")


def test_points_keep_full_precision(score):
    # 2 × 非常满意 and 1 × 不满意 over one group: 400 × 2.3 / 3 = 306.666…
    unit = score([{"levels": (5,)}, {"levels": (5,)}, {"levels": (2,)}])["A"]
    assert unit["points"] == pytest.approx(400 * 2.3 / 3, abs=1e-12)
    assert unit["points"] != round(unit["points"], 2)


def test_competition_ranking_shares_the_better_rank(score):
    # A 1.0, B 0.9, C 0.9, D 0.8 in category 1; E alone in category 2
    rows = [{"unit": "A", "levels": (5, 5)}, {"unit": "B", "levels": (5, 4)}, {"unit": "C", "levels": (4, 5)},
            {"unit": "D", "levels": (4, 4)}, {"unit": "E", "levels": (1, 1)}]
    result = score(rows, item_codes=("q1", "q2"), min_ranked=1)
    assert [result[u]["rank"] for u in "ABCDE"] == [1, 2, 2, 4, 1]


def test_units_below_min_ranked_keep_points_but_are_not_ranked(score):
    """Issue 9, failure 1: one walk-in response topped a category ahead of a unit with five."""
    rows = ([{"unit": "A", "group": "nonfixed", "levels": (5,)}]
            + [{"unit": "B", "group": "fixed", "levels": (4,)}] * 3 + [{"unit": "B", "group": "nonfixed"}] * 2
            + [{"unit": "C", "levels": (3,)}] * 5 + [{"unit": "D", "levels": (4,)}] * 4)
    result = score(rows, min_ranked=5)
    a, b, c, d = (result[u] for u in "ABCD")
    assert a["points"] == pytest.approx(400.0) and a["points_ci"] is not None
    assert a["rank"] is None and a["below_min_sample"] is True and "below_min_sample" in a["flags"]
    assert d["rank"] is None and d["below_min_sample"] is True and d["points"] == pytest.approx(320.0)
    # the others are ranked among themselves; both groups together make B's five
    assert (b["rank"], c["rank"]) == (1, 2) and not b["below_min_sample"] and "below_min_sample" not in b["flags"]


def test_min_ranked_defaults_to_thirty_valid_responses(score, scheme):
    assert scheme["survey"]["min_ranked"] == 30
    rows = [{"group": "fixed"}] * 20 + [{"group": "nonfixed"}] * 10 + [{"unit": "B"}] * 29
    result = score(rows)
    assert result["A"]["rank"] == 1 and result["B"]["rank"] is None and result["B"]["below_min_sample"]


def test_ranking_treats_differences_below_tolerance_as_ties():
    assert competition_ranks([300.0, 300.0 + 1e-12, 299.999999], [1, 1, 1]) == [1, 1, 3]
    assert competition_ranks([None, 10.0, float("nan")], ["x", "x", "x"]) == [None, 1, None]


def test_satisfaction_rate_and_wilson_interval(score):
    rows = [{"group": "nonfixed", "levels": (4,)}] * 8 + [{"group": "nonfixed", "levels": (2,)}] * 2
    unit = score(rows)["A"]
    assert unit["rate_nonfixed"] == pytest.approx(0.8)
    assert unit["rate_nonfixed_ci"] == pytest.approx([0.4902, 0.9433], abs=5e-5)  # textbook Wilson for 8/10
    assert unit["rate_fixed"] is None and unit["rate_fixed_ci"] is None


def test_basic_satisfaction_counts_as_satisfied_despite_float_rounding(score):
    # (0.6 + 0.6 + 0.6) / 3 is 0.5999999999999999 in binary floating point
    unit = score([{"levels": (3, 3, 3)}], item_codes=("q1", "q2", "q3"))["A"]
    assert unit["rate_fixed"] == 1.0


def test_reinstated_response_counts(score):
    rows = [{"id": "x"}, {"id": "x", "levels": (1,)}]
    assert score(rows)["A"]["n_fixed"] == 1
    assert score(rows, reinstated={"x"})["A"]["n_fixed"] == 1  # a duplicate copy stays out
    fast = [{"duration": 100.0}] * 99 + [{"duration": 1.0, "id": "quick", "levels": (1,)}]
    assert score(fast)["A"]["n_fixed"] == 99
    assert score(fast, reinstated={"quick"})["A"]["n_fixed"] == 100


def test_without_screening_only_empty_responses_are_excluded(score):
    rows = [{"id": "x"}, {"id": "x", "levels": (1,)}, {"levels": (None,)}]
    unit = score(rows, screen=False)["A"]
    assert unit["n_fixed"] == 2
    assert unit["index"] == pytest.approx(0.5)


def test_dimension_indices(scheme, units, make_responses):
    items = {"q1": {"dimension": "服务态度"}, "q2": {"dimension": "服务态度", "weight": 3},
             "q3": {"dimension": "办事效率"}, "q4": {}}
    responses = make_responses([{"levels": (5, 1, None, 5)}, {"levels": (3, 3, 2, 5), "group": "nonfixed"}],
                               item_codes=("q1", "q2", "q3", "q4"))
    valid = np.ones(len(responses), bool)
    result = dimension_indices(units, responses, items, scheme["survey"], valid)
    assert result["A"]["服务态度"] == pytest.approx((0.25 + 0.6) / 2)
    assert result["A"]["办事效率"] == pytest.approx(0.3)  # only the response that answered q3
    assert result["B"] == {"服务态度": None, "办事效率": None}


def test_response_scores_mark_empty_rows_nan():
    levels = np.array([[5, 0], [0, 0]], np.int8)
    scores = response_scores(levels, np.ones(2), np.array([0.0, 0.0, 0.3, 0.6, 0.8, 1.0]))
    assert scores[0] == 1.0
    assert np.isnan(scores[1])


def test_result_dict_is_json_ready_with_the_documented_keys(scheme, units, make_responses):
    responses = make_responses([{"levels": (None,)}, {"levels": (4,)}])
    result = result_dict("default", score_units(units, responses, None, scheme["survey"], scheme["screening"]))
    parsed = json.loads(json.dumps(result, allow_nan=False))
    assert parsed["scheme"] == "default"
    assert parsed["excluded"] == [{"response_id": "r0", "reason": "empty"}]
    assert {"unit_code", "category", "n_fixed", "n_nonfixed", "index_fixed", "index_nonfixed", "index", "points",
            "points_ci", "rate_fixed", "rate_nonfixed", "rank", "below_min_sample", "flags", "rate_fixed_ci",
            "rate_nonfixed_ci"} <= set(parsed["units"][0])
    assert [u["unit_code"] for u in parsed["units"]] == ["A", "B", "C", "D", "E"]
