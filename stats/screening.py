"""Screening: which responses are left out of scoring, each with one reason code.

The rules run in precedence order and each one sees only the responses still in, so a response that
several rules would catch carries the first one's reason:

    duplicate_id   a response_id seen before (in submitted_at order); the first copy stays
    empty          no answered item, nothing to score
    repeat_client  nonfixed, same client_hash, same unit, within repeat_client_hours of the last kept one
    speeder        duration_s below speeder_ratio × the median of its group (fixed or nonfixed, all units),
                   once the group has speeder_min_group responses with a duration
    burst          in a window-hour with far more responses than that window's usual hour (see `bursts`)

Straight-lining (one level for every answered item) is reported, never a reason on its own.

A statistician may reinstate responses by id: they count whatever the rules said, except `empty`
(nothing to score) and `duplicate_id` (the id's first copy is the response; extra copies stay out).
Reinstatement is applied after all rules, so it does not change how the rules treat other responses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
# pdtrc(k, λ) = P(X > k) for X ~ Poisson(λ): what scipy.stats.poisson.sf computes, without the second
# that importing scipy.stats takes at the start of every CLI run.
from scipy.special import pdtrc

from stats.responses_io import GROUPS, Responses

REASONS = ("duplicate_id", "empty", "repeat_client", "speeder", "burst")  # precedence order
_NOT_REINSTATABLE = [REASONS.index("duplicate_id"), REASONS.index("empty")]
_NONFIXED = GROUPS.index("nonfixed")


@dataclass(frozen=True)
class Screening:
    valid: np.ndarray                 # bool per response
    excluded: list[tuple[str, str]]   # (response_id, reason) in input order
    straightline: list[str]           # valid responses giving one level to every answered item


def screen_responses(responses: Responses, empty: np.ndarray, params: Mapping, *,
                     reinstated: Iterable[str] = (), enabled: bool = True) -> Screening:
    """Apply the rules with the scheme's [screening] `params`.

    `empty` marks responses without an answered item (scoring knows which). With enabled=False only
    `empty` applies: that is what scoring "without screening" means.
    """
    rules = {
        "duplicate_id": lambda alive: duplicate_ids(responses.response_id, responses.submitted_at),
        "empty": lambda alive: empty,
        "repeat_client": lambda alive: repeat_clients(responses, alive, params["repeat_client_hours"]),
        "speeder": lambda alive: speeders(responses, alive, params["speeder_ratio"], params["speeder_min_group"]),
        "burst": lambda alive: bursts(responses, alive, params["burst_alpha"]),
    }
    reason = np.full(len(responses), -1, np.int8)
    for code, name in enumerate(REASONS):
        if enabled or name == "empty":
            alive = reason < 0
            reason[alive & rules[name](alive)] = code
    reinstated = frozenset(reinstated)
    if reinstated:
        back = np.fromiter(map(reinstated.__contains__, responses.response_id), bool, len(responses))
        reason[back & ~np.isin(reason, _NOT_REINSTATABLE)] = -1
    return _screening(responses, reason)


def _screening(responses: Responses, reason: np.ndarray) -> Screening:
    ids, valid = responses.response_id, reason < 0
    rows = np.flatnonzero(~valid)
    excluded = [(ids[i], REASONS[r]) for i, r in zip(rows.tolist(), reason[rows].tolist())]
    straight = [ids[i] for i in np.flatnonzero(valid & straightlined(responses.levels)).tolist()]
    return Screening(valid=valid, excluded=excluded, straightline=straight)


def duplicate_ids(response_ids, submitted_at: np.ndarray) -> np.ndarray:
    """True for every copy of a response_id after its first in submitted_at order (ties: input order).

    Equal hashes find the candidates in one vectorised pass; only those few are compared as ids, so a
    hash collision between different ids cannot exclude anything.
    """
    hashes = np.fromiter(map(hash, response_ids), np.int64, len(response_ids))
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    later = np.zeros(len(hashes), bool)
    candidates = np.flatnonzero(np.isin(hashes, repeated))
    seen = set()
    for i in candidates[np.argsort(submitted_at[candidates], kind="stable")].tolist():
        later[i] = response_ids[i] in seen
        seen.add(response_ids[i])
    return later


def repeat_clients(responses: Responses, alive: np.ndarray, hours: float) -> np.ndarray:
    """True for a nonfixed response less than `hours` after the last kept one of its client and unit.

    A response further than `hours` from its predecessor (or first of its client and unit) is certainly
    kept, so only runs of close responses are walked one by one; those are rare in real data.
    """
    rows = np.flatnonzero(alive & (responses.group == _NONFIXED) & (responses.client >= 0))
    seconds = responses.submitted_at[rows].astype(np.int64)
    order = np.lexsort((seconds, responses.unit[rows], responses.client[rows]))
    rows, seconds = rows[order], seconds[order]
    client, unit = responses.client[rows], responses.unit[rows]
    limit = hours * 3600
    close = np.zeros(len(rows), bool)
    close[1:] = (client[1:] == client[:-1]) & (unit[1:] == unit[:-1]) & (np.diff(seconds) < limit)
    repeat = np.zeros(len(responses), bool)
    last_kept = 0
    for j in np.flatnonzero(close).tolist():
        if not close[j - 1]:  # the run starts after a certainly kept response
            last_kept = seconds[j - 1]
        if seconds[j] - last_kept < limit:
            repeat[rows[j]] = True
        else:
            last_kept = seconds[j]
    return repeat


def speeders(responses: Responses, alive: np.ndarray, ratio: float, min_group: int) -> np.ndarray:
    """True for a response faster than `ratio` × its group's median duration (NaN is never a speeder)."""
    duration = responses.duration_s
    fast = np.zeros(len(responses), bool)
    for group in range(len(GROUPS)):
        timed = alive & (responses.group == group) & ~np.isnan(duration)
        if timed.sum() >= min_group:
            fast |= timed & (duration < ratio * np.median(duration[timed]))
    return fast


def bursts(responses: Responses, alive: np.ndarray, alpha: float) -> np.ndarray:
    """True for every response in a window-hour with improbably many responses.

    Responses are counted per (window, clock hour of submitted_at). A window's usual rate λ is the
    median of its hourly counts over the hours it was active: a burst occupies few hours, so it cannot
    move the median, where it would inflate a mean. A window seen in only one or two hours has no
    baseline and is, in effect, never flagged. Each window-hour's p = P(X ≥ count) for X ~ Poisson(λ),
    and the family of all window-hours tested is held at `alpha` with Holm's step-down correction
    (never rejects less than Bonferroni). Responses without a window are not tested.
    """
    rows = np.flatnonzero(alive & (responses.window >= 0))
    held = np.zeros(len(responses), bool)
    if rows.size == 0:
        return held
    hour = responses.submitted_at[rows].astype("datetime64[h]").astype(np.int64)
    span = int(hour.max() - hour.min()) + 1
    cells, cell_of_row, counts = np.unique(responses.window[rows] * span + (hour - hour.min()),
                                           return_inverse=True, return_counts=True)
    rate = _window_medians(cells // span, counts)
    flagged = holm_reject(pdtrc(counts - 1, rate), alpha)  # P(X > count - 1) = P(X ≥ count)
    held[rows] = flagged[cell_of_row]
    return held


def _window_medians(window_of_cell: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each cell, the median count over its window's cells; cells must be sorted by window."""
    order = np.lexsort((counts, window_of_cell))
    ranked = counts[order]
    starts = np.flatnonzero(np.diff(window_of_cell, prepend=-1))
    sizes = np.diff(starts, append=len(counts))
    medians = (ranked[starts + (sizes - 1) // 2] + ranked[starts + sizes // 2]) / 2
    return np.repeat(medians, sizes)


def holm_reject(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down: reject the k smallest p while p_(i) ≤ alpha / (m - i), i = 0, 1, ..."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    passes = p[order] <= alpha / (m - np.arange(m))
    k = m if passes.all() else int(np.argmin(passes))
    reject = np.zeros(m, bool)
    reject[order[:k]] = True
    return reject


def straightlined(levels: np.ndarray) -> np.ndarray:
    """True where at least two items are answered and all answered items have the same level."""
    answered = levels > 0
    lowest = np.where(answered, levels, 127).min(axis=1)
    return (answered.sum(axis=1) >= 2) & (levels.max(axis=1) == lowest)
