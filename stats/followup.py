"""差评 and their follow-up per unit: how many valid responses rated something badly, and the shares of
the callback cases that were called back (回访率) and rectified (整改率).

Pure: the callback counts come in as plain numbers (the web layer asks the case domain for them), so the
rules can be read and tested here. A rate whose denominator is 0 is None (shown as —), never 0 or 100 %.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from stats.responses_io import Responses

COUNTS = ("callbacks", "called_back", "to_rectify", "rectified")


def bad_counts(units: Sequence[Mapping], responses: Responses, valid: np.ndarray,
               bad_levels: Sequence[int]) -> dict[str, int]:
    """{unit code: valid responses with at least one answer at a bad level} (差评 count)."""
    bad = np.isin(responses.levels, list(bad_levels)).any(axis=1) & valid if len(responses) else np.zeros(0, bool)
    per_unit = np.bincount(responses.unit[bad], minlength=len(units))
    return {unit["code"]: int(per_unit[i]) for i, unit in enumerate(units)}


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def followup_rows(units: Sequence[Mapping], bad: Mapping[str, int],
                  callbacks: Mapping[str, Mapping[str, int]]) -> dict[str, dict]:
    """{unit code: {"bad", callbacks, called_back, to_rectify, rectified, "callback_rate",
    "rectification_rate"}} for every unit; a unit the case domain does not name had no callback case.

    回访率 = callback cases called back / callback cases opened;
    整改率 = callback cases whose rectification was reported / those the callback confirmed.
    """
    rows = {}
    for unit in units:
        counts = {name: int(callbacks.get(unit["code"], {}).get(name, 0)) for name in COUNTS}
        rows[unit["code"]] = {"bad": int(bad.get(unit["code"], 0)), **counts,
                              "callback_rate": rate(counts["called_back"], counts["callbacks"]),
                              "rectification_rate": rate(counts["rectified"], counts["to_rectify"])}
    return rows
