"""The survey part (服务对象测评): from responses to each unit's index, points, interval, flags and rank.

    response score   Σ weight·value / Σ weight over the answered items (no answered item: excluded, `empty`)
    group index      mean score of a unit's valid responses in the group (fixed, nonfixed)
    index            Σ group_weights·group index; a group without valid responses drops out and the
                     other group's weight becomes 1 (flag `missing_group`); no valid response at all:
                     no index, no points, no rank (flag `no_data`)
    points           max_points × index, at full precision (round only for display)
    rank             competition rank of points within the unit's category (ranking.py), among the units
                     with at least min_ranked valid responses (both groups together); the others keep
                     their points and interval but have no rank and `below_min_sample` true

Flags: `no_data`, `missing_group`, `small_sample` when a group has some but fewer than small_sample
valid responses, and `below_min_sample` when the unit has some but fewer than min_ranked (a unit
with none is flagged `no_data` alone; its `below_min_sample` key is true as well).
Intervals and the optional shrinkage are explained in intervals.py.

Parameters are the scheme's sections as plain dicts: `scheme_survey` = [survey], `scheme_screening` =
[screening]. `units` is a list of {"code", "category", ...}; Responses.unit indexes that list.
`items` maps item_code → {"weight": w, "dimension": d}; items left out (or items=None) weigh 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from stats.intervals import (
    interval_variances,
    points_interval,
    pooled_variances,
    sample_variances,
    shrink_to_category,
    wilson_interval,
)
from stats.ranking import competition_ranks
from stats.responses_io import GROUPS, Responses, read_items, read_responses, read_units
from stats.screening import screen_responses

SCORE_TOLERANCE = 1e-9  # 0.6+0.6+0.6 over 3 is 0.59999…: a 基本满意 response must still count as satisfied


@dataclass(frozen=True)
class SurveyScores:
    units: list[dict]                 # one dict per unit, in the order of `units` (see _unit_row)
    excluded: list[tuple[str, str]]   # (response_id, reason)
    straightline: list[str]           # response ids reported for straight-lining (still counted)
    valid: np.ndarray                 # bool per response, for follow-up views such as dimension_indices
    evidence: Mapping[str, dict] = field(default_factory=dict)  # response_id → why screening held it


@dataclass(frozen=True)
class _GroupStats:
    """Per unit (rows) and group (columns 0 = fixed, 1 = nonfixed), over valid responses."""
    n: np.ndarray
    mean: np.ndarray       # NaN where n = 0
    variance: np.ndarray   # sample variance of the scores (NaN where n < 2)
    satisfied: np.ndarray  # responses scoring at least rate_threshold


def level_values(scheme_survey: Mapping, scale: str | None = None) -> np.ndarray:
    """Value of each stored level 0-5 under the scale (default: the scheme's); level 0 (no answer) is 0
    and levels the scale does not define are NaN, which response_scores rejects."""
    name = scale or scheme_survey["scale"]
    if name not in scheme_survey["scales"]:
        raise ValueError(f"方案中没有量表 {name!r}")
    values = np.full(6, np.nan)
    values[0] = 0.0
    for level, value in scheme_survey["scales"][name]["values"].items():
        if int(level) not in range(1, 6):
            raise ValueError(f"量表 {name!r} 的等级 {level!r} 不在 1-5 之间")
        values[int(level)] = float(value)
    return values


def item_weights(item_codes: Sequence[str], items: Mapping[str, Mapping] | None) -> np.ndarray:
    """Weights aligned with the level columns; an item without a weight weighs 1."""
    items = items or {}
    weights = np.array([float((items.get(code) or {}).get("weight") or 1.0) for code in item_codes])
    if not np.all(weights > 0):
        raise ValueError("题目权重必须为正数")
    return weights


def response_scores(levels: np.ndarray, weights: np.ndarray, values: np.ndarray,
                    response_ids: Sequence[str] | None = None) -> np.ndarray:
    """Σ weight·value / Σ weight over each response's answered items; NaN where none is answered.

    A level the scale does not define is an error naming the first response that uses it.
    """
    level_value = values[levels]
    undefined = np.isnan(level_value)
    if undefined.any():
        row, column = np.argwhere(undefined)[0]
        who = f"答卷 {response_ids[row]}" if response_ids is not None else f"第 {row + 1} 份答卷"
        allowed = ", ".join(str(level) for level in range(5, 0, -1) if not np.isnan(values[level]))
        raise ValueError(f"{who} 的等级 {levels[row, column]} 不在所选量表中（量表的等级：{allowed}）")
    answered_weight = (levels > 0) @ weights
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(answered_weight > 0, (level_value @ weights) / answered_weight, np.nan)


def score_units(units: Sequence[Mapping], responses: Responses, items: Mapping[str, Mapping] | None,
                scheme_survey: Mapping, scheme_screening: Mapping, *, screen: bool = True,
                reinstated: Iterable[str] = (), upheld: Iterable[str] = ()) -> SurveyScores:
    """Screen the responses and score every unit; see the module docstring for the rules."""
    scores = response_scores(responses.levels, item_weights(responses.item_codes, items),
                             level_values(scheme_survey), responses.response_id)
    category = np.array([unit["category"] for unit in units])
    screening = screen_responses(responses, np.isnan(scores), scheme_screening, reinstated=reinstated,
                                 enabled=screen, unit_category=category, upheld=upheld)
    stats = _group_stats(responses, scores, screening.valid, len(units), scheme_survey["rate_threshold"])
    columns = _unit_columns(stats, category, scheme_survey)
    rows = [_unit_row(unit, i, stats, columns) for i, unit in enumerate(units)]
    return SurveyScores(units=rows, excluded=screening.excluded, straightline=screening.straightline,
                        valid=screening.valid, evidence=screening.evidence)


def _unit_columns(stats: _GroupStats, category: np.ndarray, scheme_survey: Mapping) -> dict:
    """Per-unit arrays (and lists): group indices, index, points, intervals, ranks, flags."""
    means, sampling_variance = _group_estimates(stats, category, bool(scheme_survey.get("shrinkage")))
    weights = _effective_weights(stats.n, scheme_survey["group_weights"])
    index = np.where(stats.n.sum(axis=1) > 0, (weights * np.nan_to_num(means)).sum(axis=1), np.nan)
    max_points = scheme_survey["max_points"]
    points = max_points * index
    below = stats.n.sum(axis=1) < scheme_survey["min_ranked"]
    return {
        "means": means, "index": index, "points": points,
        "points_ci": points_interval(index, weights, sampling_variance, stats.n, max_points,
                                     scheme_survey["confidence"]),
        "rate_ci": wilson_interval(stats.satisfied, stats.n, scheme_survey["confidence"]),
        "rank": competition_ranks(np.where(below, np.nan, points).tolist(), category.tolist()),
        "below_min_sample": below.tolist(),
        "flags": _flags(stats.n, scheme_survey["small_sample"], scheme_survey["min_ranked"]),
    }


def _group_stats(responses: Responses, scores: np.ndarray, valid: np.ndarray, n_units: int,
                 threshold: float) -> _GroupStats:
    """Counts, means, variances and satisfied counts by (unit, group) with bincount; two passes for
    the variance, because sum-of-squares minus square-of-sum loses digits.

    Summing in order of score makes the result independent of the order of the rows down to the last
    bit, so a score run repeated on the same responses gives the same JSON.
    """
    rows = np.flatnonzero(valid)
    rows = rows[np.argsort(scores[rows])]  # equal scores are equal values: their order cannot matter
    key = responses.unit[rows].astype(np.int64) * len(GROUPS) + responses.group[rows]
    x = scores[rows]
    size, shape = n_units * len(GROUPS), (n_units, len(GROUPS))
    n = np.bincount(key, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, weights=x, minlength=size) / n
    sum_sq_dev = np.bincount(key, weights=(x - mean[key]) ** 2, minlength=size)
    satisfied = np.bincount(key, weights=x >= threshold - SCORE_TOLERANCE, minlength=size)
    return _GroupStats(n=n.reshape(shape), mean=mean.reshape(shape),
                       variance=sample_variances(sum_sq_dev, n).reshape(shape),
                       satisfied=satisfied.reshape(shape))


def _group_estimates(stats: _GroupStats, category: np.ndarray, shrinkage: bool) -> tuple[np.ndarray, np.ndarray]:
    """Group indices and their sampling variances: s̃²/n (intervals.py), or with shrinkage the posterior
    variance of the means shrunk with v = s₀²/n per group column. NaN where a group has no response."""
    pooled = pooled_variances(stats.variance, stats.n, category)
    means = stats.mean.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if not shrinkage:
            return means, interval_variances(stats.variance, stats.n, pooled) / stats.n
        variance = np.where(stats.n > 0, pooled / stats.n, np.nan)
    for g in range(len(GROUPS)):
        means[:, g], variance[:, g] = shrink_to_category(means[:, g], variance[:, g], category)
    return means, variance


def _effective_weights(n: np.ndarray, group_weights: Mapping[str, float]) -> np.ndarray:
    """The scheme's group weights over the groups present, re-normalised to sum to 1 (0 rows: no data)."""
    raw = (n > 0) * np.array([group_weights[name] for name in GROUPS], dtype=np.float64)
    total = raw.sum(axis=1, keepdims=True)
    return np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)


def _flags(n: np.ndarray, small_sample: int, min_ranked: int) -> list[list[str]]:
    flags = []
    for counts in n.tolist():
        if not any(counts):
            flags.append(["no_data"])
            continue
        flags.append((["missing_group"] if 0 in counts else [])
                     + (["small_sample"] if any(0 < c < small_sample for c in counts) else [])
                     + (["below_min_sample"] if sum(counts) < min_ranked else []))
    return flags


def _unit_row(unit: Mapping, i: int, stats: _GroupStats, columns: Mapping) -> dict:
    """One unit's result as JSON-ready plain values; absent values are None."""
    lo, hi = columns["points_ci"]
    rate_lo, rate_hi = columns["rate_ci"]
    row = {"unit_code": unit["code"], "category": unit["category"]}
    for g, name in enumerate(GROUPS):
        row[f"n_{name}"] = int(stats.n[i, g])
    for g, name in enumerate(GROUPS):
        row[f"index_{name}"] = _number(columns["means"][i, g])
    row.update(index=_number(columns["index"][i]), points=_number(columns["points"][i]),
               points_ci=_pair(lo[i], hi[i]))
    for g, name in enumerate(GROUPS):
        rate = stats.satisfied[i, g] / stats.n[i, g] if stats.n[i, g] else np.nan
        row[f"rate_{name}"] = _number(rate)
        row[f"rate_{name}_ci"] = _pair(rate_lo[i, g], rate_hi[i, g])
    row.update(rank=columns["rank"][i], below_min_sample=columns["below_min_sample"][i], flags=columns["flags"][i])
    return row


def _number(value) -> float | None:
    return None if np.isnan(value) else float(value)


def _pair(lo, hi) -> list[float] | None:
    return None if np.isnan(lo) else [float(lo), float(hi)]


def dimension_indices(units: Sequence[Mapping], responses: Responses, items: Mapping[str, Mapping],
                      scheme_survey: Mapping, valid: np.ndarray) -> dict[str, dict[str, float | None]]:
    """{unit_code: {dimension: index}} for the unit page charts.

    A response's dimension score is its weighted score over the dimension's answered items; a unit's
    dimension index is the plain mean of those scores over its valid responses (both groups together,
    no group weighting). Items without a dimension are left out; no data gives None.
    """
    values, weights = level_values(scheme_survey), item_weights(responses.item_codes, items)
    dimension_of = [(items.get(code) or {}).get("dimension") for code in responses.item_codes]
    result: dict[str, dict[str, float | None]] = {unit["code"]: {} for unit in units}
    for dimension in sorted({d for d in dimension_of if d}):
        columns = [i for i, d in enumerate(dimension_of) if d == dimension]
        scores = response_scores(responses.levels[:, columns], weights[columns], values, responses.response_id)
        counted = valid & ~np.isnan(scores)
        n = np.bincount(responses.unit[counted], minlength=len(units))
        total = np.bincount(responses.unit[counted], weights=scores[counted], minlength=len(units))
        for unit, k, s in zip(units, n.tolist(), total.tolist()):
            result[unit["code"]][dimension] = s / k if k else None
    return result


def result_dict(scheme_name: str, scores: SurveyScores) -> dict:
    """The RESULT JSON of the `stats score` command."""
    return {
        "scheme": scheme_name,
        "units": scores.units,
        "excluded": [{"response_id": rid, "reason": reason,
                      **({"evidence": scores.evidence[rid]} if rid in scores.evidence else {})}
                     for rid, reason in scores.excluded],
        "straightline": scores.straightline,
    }


def score_csv(units_csv: str, responses_csv: str, scheme: Mapping, *, items_csv: str | None = None,
              screen: bool = True, progress: Callable[[int, int], None] | None = None) -> dict:
    """UNITS.csv + RESPONSES.csv (+ ITEMS.csv) → RESULT dict; `scheme` is the whole parsed scheme file.

    `progress(done_bytes, total_bytes)` follows the reading of RESPONSES.csv, which is most of the time.
    """
    units = read_units(units_csv, scheme.get("categories"))
    responses = read_responses(responses_csv, units, progress)
    items = read_items(items_csv, responses.item_codes) if items_csv else None
    scores = score_units(units, responses, items, scheme["survey"], scheme["screening"], screen=screen)
    return result_dict(scheme["name"], scores)
