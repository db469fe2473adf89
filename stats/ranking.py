"""Competition ranking within a category: highest first, equal values share the better rank (1, 2, 2, 4)."""
from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np

TIE_TOLERANCE = 1e-9  # points closer than this are equal: sums of floats differ in the last bits


def competition_ranks(values: Sequence[float | None], categories: Sequence[Hashable],
                      tolerance: float = TIE_TOLERANCE) -> list[int | None]:
    """Rank of each value among the values of its category; None (or NaN) is not ranked.

    rank = 1 + the number of values in the category that are better by at least `tolerance`, so
    values within the tolerance of each other share a rank and the next rank skips accordingly.
    """
    values = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    ranks: list[int | None] = [None] * len(values)
    for category in set(categories):
        in_category = np.array([c == category for c in categories], dtype=bool)
        members = np.flatnonzero(in_category & ~np.isnan(values))
        ascending = np.sort(values[members])
        better = len(ascending) - np.searchsorted(ascending, values[members] + tolerance, side="left")
        for row, rank in zip(members.tolist(), (better + 1).tolist()):
            ranks[row] = rank
    return ranks
