"""Screening: which responses are left out of scoring, each with one reason code.

The rules run in precedence order and each one sees only the responses still in, so a response that
several rules would catch carries the first one's reason:

    duplicate_id   a response_id seen before (in submitted_at order); the first copy stays
    empty          no answered item, nothing to score
    repeat_client  nonfixed, same client_hash, same unit, within repeat_client_hours of the last kept one
    speeder        duration_s below speeder_ratio × the median duration of the same unit's responses in
                   the same group, once that unit has speeder_min_group timed responses in the group
    address_burst  nonfixed, one of more than address_hour_max responses to one unit from one address
                   hash in one clock hour (address hashes are keyed per day, so comparable within it)
    burst          in a window-hour with far more responses than that window's usual hour, or, for a
                   window without such history, than its unit's or its category's (see `burst_test`)

Ties never depend on the order of the rows: copies of one response_id submitted in the same second are
ordered by their content, and a client's responses to one unit in the same second by response_id.

Straight-lining (one level for every answered item) is reported, never a reason on its own.

Each response held by address_burst or burst carries its evidence (Screening.evidence): the clock hour,
the count, and the expected rate and its baseline, or the address hash's count against its limit.

A statistician may reinstate responses by id: they count whatever the rules said, except `empty`
(nothing to score) and `duplicate_id` (the id's first copy is the response; extra copies stay out).
Reinstatement is applied after all rules, so it does not change how the rules treat other responses.

    appeal_upheld  the office upheld a unit's appeal (申诉复核) against this rating: it is left out after
                   all rules and reinstatements, whatever they said, even when screening is off; it does
                   not change how the rules treat other responses, and a statistician cannot reinstate it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
# pdtrc(k, λ) = P(X > k) for X ~ Poisson(λ): what scipy.stats.poisson.sf computes, without the second
# that importing scipy.stats takes at the start of every CLI run.
from scipy.special import pdtrc

from stats.responses_io import GROUPS, Responses

REASONS = ("duplicate_id", "empty", "repeat_client", "speeder", "address_burst", "burst",
           "appeal_upheld")  # precedence order
RULES = REASONS[:-1]  # appeal_upheld is a decision, applied last
BASELINES = ("window", "unit", "category")  # where a window-hour's expected rate comes from, first that has one
NOT_REINSTATABLE = ("duplicate_id", "empty", "appeal_upheld")  # these never count, whatever a statistician says
_NONFIXED = GROUPS.index("nonfixed")


@dataclass(frozen=True)
class Screening:
    valid: np.ndarray                 # bool per response
    excluded: list[tuple[str, str]]   # (response_id, reason) in input order
    straightline: list[str]           # valid responses giving one level to every answered item
    evidence: dict[str, dict] = field(default_factory=dict)  # response_id → why it was held (see burst_evidence)


def screen_responses(responses: Responses, empty: np.ndarray, params: Mapping, *,
                     reinstated: Iterable[str] = (), enabled: bool = True,
                     unit_category: np.ndarray | None = None, upheld: Iterable[str] = ()) -> Screening:
    """Apply the rules with the scheme's [screening] `params`.

    `empty` marks responses without an answered item (scoring knows which). With enabled=False only
    `empty` applies: that is what scoring "without screening" means. `unit_category` (per unit index)
    lets a window without history be measured against its category.
    """
    tests = {}

    def burst(alive):
        tests["burst"] = burst_test(responses, alive, params["burst_alpha"], params["burst_min_hours"],
                                    unit_category)
        return tests["burst"].held

    def address(alive):
        tests["address_burst"] = address_test(responses, alive, params["address_hour_max"])
        return tests["address_burst"].held

    rules = {
        "duplicate_id": lambda alive: duplicate_ids(responses),
        "empty": lambda alive: empty,
        "repeat_client": lambda alive: repeat_clients(responses, alive, params["repeat_client_hours"]),
        "speeder": lambda alive: speeders(responses, alive, params["speeder_ratio"], params["speeder_min_group"]),
        "address_burst": address,
        "burst": burst,
    }
    reason = np.full(len(responses), -1, np.int8)
    for code, name in enumerate(RULES):
        if enabled or name == "empty":
            alive = reason < 0
            reason[alive & rules[name](alive)] = code
    reinstated = frozenset(reinstated)
    if reinstated:
        back = np.fromiter(map(reinstated.__contains__, responses.response_id), bool, len(responses))
        reason[back & ~np.isin(reason, [REASONS.index(name) for name in NOT_REINSTATABLE])] = -1
    upheld = frozenset(upheld)
    if upheld:
        reason[np.fromiter(map(upheld.__contains__, responses.response_id), bool, len(responses))] = \
            REASONS.index("appeal_upheld")
    return _screening(responses, reason, tests)


def _screening(responses: Responses, reason: np.ndarray, tests: Mapping) -> Screening:
    ids, valid = responses.response_id, reason < 0
    rows = np.flatnonzero(~valid)
    excluded = [(ids[i], REASONS[r]) for i, r in zip(rows.tolist(), reason[rows].tolist())]
    evidence = {}
    for name, test in tests.items():
        held = np.flatnonzero(reason == REASONS.index(name))
        evidence.update(zip((ids[i] for i in held.tolist()), test.evidence(held, responses)))
    straight = [ids[i] for i in np.flatnonzero(valid & straightlined(responses.levels)).tolist()]
    return Screening(valid=valid, excluded=excluded, straightline=straight, evidence=evidence)


def duplicate_ids(responses: Responses) -> np.ndarray:
    """True for every copy of a response_id after its first in submitted_at order.

    Copies submitted in the same second are ordered by their content (unit, group, duration, client,
    window, answers), so the copy that stays does not depend on the order of the rows; copies equal in
    all of these are interchangeable. Equal hashes find the candidates in one vectorised pass; only those
    few are compared as ids, so a hash collision between different ids cannot exclude anything.
    """
    response_ids = responses.response_id
    hashes = np.fromiter(map(hash, response_ids), np.int64, len(response_ids))
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    later = np.zeros(len(hashes), bool)
    candidates = np.flatnonzero(np.isin(hashes, repeated))
    seen = set()
    for i in candidates[np.lexsort(_content_keys(responses, candidates))].tolist():
        later[i] = response_ids[i] in seen
        seen.add(response_ids[i])
    return later


def _content_keys(responses: Responses, rows: np.ndarray) -> list[np.ndarray]:
    """np.lexsort keys for `rows`: submitted_at first, then every other column (the last key is primary).

    Client and window codes are ranks of their hashes and codes (responses_io), so they too are the
    same whatever the order of the rows.
    """
    answers = [responses.levels[rows, k] for k in reversed(range(responses.levels.shape[1]))]
    return answers + [responses.window[rows], responses.client[rows], responses.duration_s[rows],
                      responses.group[rows], responses.unit[rows], responses.submitted_at[rows]]


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
    _order_ties_by_id(rows, (client, unit, seconds), responses.response_id)
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


def _order_ties_by_id(rows: np.ndarray, keys: tuple[np.ndarray, ...], response_ids) -> None:
    """Reorder, in place, each run of `rows` whose `keys` are all equal by response_id.

    Such ties (one client, one unit, one second) are rare, so they are sorted one run at a time.
    """
    if len(rows) < 2:
        return
    tied = np.ones(len(rows) - 1, bool)
    for key in keys:
        tied &= key[1:] == key[:-1]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], tied.view(np.int8), [0]))))
    for start, stop in zip(edges[::2].tolist(), (edges[1::2] + 1).tolist()):
        rows[start:stop] = sorted(rows[start:stop].tolist(), key=response_ids.__getitem__)


def speeders(responses: Responses, alive: np.ndarray, ratio: float, min_group: int) -> np.ndarray:
    """True for a response faster than `ratio` × the median duration of its unit's responses in its group.

    The median is taken per unit and group, not over all units: a unit whose service is quick (a simple
    service window) has quick respondents, and a pooled median would take them for speeders. A unit's
    group with fewer than `min_group` timed responses is not tested: its median is not yet a reliable
    measure of the normal pace. NaN (unknown duration) is never a speeder.
    """
    rows = np.flatnonzero(alive & ~np.isnan(responses.duration_s))
    duration = responses.duration_s[rows]
    key = responses.unit[rows].astype(np.int64) * len(GROUPS) + responses.group[rows]
    median, size = _medians_by_group(key, duration)
    fast = np.zeros(len(responses), bool)
    fast[rows] = (size >= min_group) & (duration < ratio * median)
    return fast


@dataclass(frozen=True)
class HourCells:
    """Responses counted per (key, clock hour of submitted_at): the cells a rule tests."""

    rows: np.ndarray         # the response rows counted
    cell_of_row: np.ndarray  # each counted row's cell
    key: np.ndarray          # per cell: the key (a window, or a unit and an address)
    hour: np.ndarray         # per cell: hours since 1970 on the Beijing wall clock
    count: np.ndarray        # per cell: responses


def hour_cells(responses: Responses, rows: np.ndarray, key: np.ndarray) -> HourCells:
    hour = responses.submitted_at[rows].astype("datetime64[h]").astype(np.int64)
    if rows.size == 0:
        empty = np.zeros(0, np.int64)
        return HourCells(rows, empty, empty, empty, empty)
    low, span = hour.min(), int(hour.max() - hour.min()) + 1
    cells, cell_of_row, counts = np.unique(key * span + (hour - low), return_inverse=True, return_counts=True)
    return HourCells(rows, cell_of_row.reshape(-1), cells // span, cells % span + low, counts)


def hour_text(hour: int) -> str:
    """An hour since 1970 as ISO text of its start, e.g. 2024-03-04T10:00."""
    return str(np.datetime64(int(hour), "h").astype("datetime64[m]"))


@dataclass(frozen=True)
class BurstTest:
    """The window-hour test: each cell's expected rate, where it came from, its p and the verdict."""

    cells: HourCells
    rate: np.ndarray      # expected responses in the hour; NaN where the window has no baseline
    baseline: np.ndarray  # index into BASELINES, -1 = none
    p: np.ndarray         # P(X ≥ count) for X ~ Poisson(rate); NaN where untested
    flagged: np.ndarray   # per cell
    held: np.ndarray      # per response
    address_counts: np.ndarray  # per counted row: responses of its unit and address hash in that hour

    def evidence(self, held_rows: np.ndarray, responses: Responses) -> list[dict]:
        position = np.searchsorted(self.cells.rows, held_rows)
        cell = self.cells.cell_of_row[position]
        return [{"hour": hour_text(self.cells.hour[c]), "count": int(self.cells.count[c]),
                 "expected": float(self.rate[c]), "baseline": BASELINES[self.baseline[c]], "p": float(self.p[c]),
                 **({"address_count": int(a)} if a > 0 else {})}
                for c, a in zip(cell.tolist(), self.address_counts[position].tolist())]


def burst_test(responses: Responses, alive: np.ndarray, alpha: float, min_hours: int,
               unit_category: np.ndarray | None = None, family_from: int | None = None) -> BurstTest:
    """Every response in a window-hour with improbably many responses is held.

    Responses are counted per (window, clock hour of submitted_at). A window's usual rate λ is the
    median of its hourly counts over the hours it was active: a burst occupies few hours, so it cannot
    move the median, where it would inflate a mean. A window active in fewer than `min_hours` hours
    has no such history (the median of two counts is their mean): its λ is the median hourly count of
    its unit's windows that have one, else of its category's (given `unit_category`); so a new window's
    burst is caught too, and cannot raise its own baseline. Each tested window-hour's p = P(X ≥ count)
    for X ~ Poisson(λ), and the family of tested window-hours (those from hour `family_from` on, if
    given) is held at `alpha` with Holm's step-down correction (never rejects less than Bonferroni).
    Responses without a window are not tested.
    """
    rows = np.flatnonzero(alive & (responses.window >= 0))
    cells = hour_cells(responses, rows, responses.window[rows])
    rate, active_hours = _medians_by_group(cells.key, cells.count)
    baseline = np.where(active_hours >= min_hours, 0, -1).astype(np.int8)
    rate[baseline < 0] = np.nan
    cell_unit = np.zeros(len(cells.count), np.int64)
    cell_unit[cells.cell_of_row] = responses.unit[rows]  # a window belongs to one unit
    pools = [cell_unit]
    if unit_category is not None:
        pools.append(np.unique(np.asarray(unit_category), return_inverse=True)[1].reshape(-1)[cell_unit])
    for level, group in enumerate(pools, start=1):
        _borrow_baseline(rate, baseline, level, group, cells.count, min_hours)
    tested = baseline >= 0
    family = tested & (cells.hour >= family_from) if family_from is not None else tested
    p = np.full(len(cells.count), np.nan)
    p[tested] = pdtrc(cells.count[tested] - 1, rate[tested])  # P(X > count - 1) = P(X ≥ count)
    flagged = np.zeros(len(cells.count), bool)
    flagged[family] = holm_reject(p[family], alpha)
    held = np.zeros(len(responses), bool)
    held[rows] = flagged[cells.cell_of_row]
    return BurstTest(cells, rate, baseline, p, flagged, held, _address_counts(responses, rows))


def _borrow_baseline(rate, baseline, level, group, count, min_hours):
    """For cells still without a baseline, the median hourly count of the cells of their `group` (unit or
    category) whose window has a history of its own, when there are at least `min_hours` of them."""
    missing = np.flatnonzero(baseline < 0)
    pool = baseline == 0
    if missing.size == 0 or not pool.any():
        return
    median, size = _medians_by_group(group[pool], count[pool])
    groups, first = np.unique(group[pool], return_index=True)
    at = np.minimum(np.searchsorted(groups, group[missing]), len(groups) - 1)
    found = (groups[at] == group[missing]) & (size[first][at] >= min_hours)
    rate[missing[found]] = median[first][at][found]
    baseline[missing[found]] = level


def _address_counts(responses: Responses, rows: np.ndarray) -> np.ndarray:
    """Per row: responses in that clock hour from its unit and address hash among `rows` (0: no address)."""
    counts = np.zeros(len(rows), np.int64)
    known = responses.address[rows] >= 0
    if known.any():
        cells = hour_cells(responses, rows[known], _unit_address(responses, rows[known]))
        counts[known] = cells.count[cells.cell_of_row]
    return counts


def _unit_address(responses: Responses, rows: np.ndarray) -> np.ndarray:
    return responses.unit[rows].astype(np.int64) * (int(responses.address.max(initial=-1)) + 1) + responses.address[rows]


@dataclass(frozen=True)
class AddressTest:
    """Responses to one unit from one address hash in one clock hour, against the limit."""

    cells: HourCells
    limit: int
    flagged: np.ndarray  # per cell
    held: np.ndarray     # per response

    def evidence(self, held_rows: np.ndarray, responses: Responses) -> list[dict]:
        cell = self.cells.cell_of_row[np.searchsorted(self.cells.rows, held_rows)]
        return [{"hour": hour_text(self.cells.hour[c]), "address_count": int(self.cells.count[c]),
                 "limit": self.limit} for c in cell.tolist()]


def address_test(responses: Responses, alive: np.ndarray, limit: int,
                 family_from: int | None = None) -> AddressTest:
    """Hold every nonfixed response of a (unit, address hash, clock hour) with more than `limit` responses:
    a script rotating browsers and windows still comes from one address. A shared office network stays
    below the limit, which is above the intake's per-window address limit."""
    rows = np.flatnonzero(alive & (responses.group == _NONFIXED) & (responses.address >= 0))
    cells = hour_cells(responses, rows, _unit_address(responses, rows))
    flagged = cells.count > limit
    if family_from is not None:
        flagged &= cells.hour >= family_from
    held = np.zeros(len(responses), bool)
    held[rows] = flagged[cells.cell_of_row]
    return AddressTest(cells, limit, flagged, held)


def _medians_by_group(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element, the median of `values` over the elements of its group, and the group's size.

    Elements are sorted by value (equal values are interchangeable, so any sort will do), then stably by
    group. NumPy's stable sort of 16-bit keys is a radix sort, several times faster than on 64-bit keys,
    so group keys are narrowed when they fit.
    """
    if len(values) == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    narrow = group.astype(np.int16) if 0 <= group.min() and group.max() < 2 ** 15 else group
    order = np.argsort(values)
    order = order[np.argsort(narrow[order], kind="stable")]
    ranked, grouped = values[order], group[order]
    starts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
    sizes = np.diff(starts, append=len(values))
    medians = (ranked[starts + (sizes - 1) // 2] + ranked[starts + sizes // 2]) / 2
    median_of, size_of = np.empty(len(values)), np.empty(len(values), np.int64)
    median_of[order], size_of[order] = np.repeat(medians, sizes), np.repeat(sizes, sizes)
    return median_of, size_of


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
