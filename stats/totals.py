"""The 1000-point total (考核结果): the imported parts, the computed survey part and the capped ledger
adjustments, ranked within each category.

The scheme's [[categories]] say which parts a category is assessed on and each part's maximum. The
survey part (scheme survey.part) comes from scoring; every other part is imported as rows of
`unit_code, part, points, source, note` (strings from a CSV, or numbers from a form).

Adjustments are the ledger's signed amounts per unit: positive amounts add up to the bonus, capped at
adjustments.bonus_cap; negative ones to the deduction, capped at adjustments.deduction_cap. The caps are
applied separately, so a unit at the bonus cap still loses its deductions in full.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping, Sequence

import numpy as np

from stats.ranking import competition_ranks


def validate_parts(rows: Sequence[Mapping], units: Sequence[Mapping], scheme: Mapping,
                   first_line: int = 2) -> list[str]:
    """One message per bad row, naming its line ("第3行: …"); rows[0] is on `first_line` (the line after
    a CSV header by default). An empty list means the rows can go to combine_totals."""
    check = _PartsCheck(units, scheme)
    errors = []
    for line, row in enumerate(rows, start=first_line):
        problem = check.problem(row, line)
        if problem:
            errors.append(f"第{line}行：{problem}")
    return errors


class _PartsCheck:
    """The registry and maxima a parts row is checked against, and the (unit, part) pairs seen so far."""

    def __init__(self, units: Sequence[Mapping], scheme: Mapping):
        self.category = {unit["code"]: unit["category"] for unit in units}
        self.maxima = {category["code"]: category["parts"] for category in scheme["categories"]}
        self.names = scheme.get("part_names", {})
        self.survey_part = scheme["survey"]["part"]
        self.seen: dict[tuple[str, str], int] = {}

    def problem(self, row: Mapping, line: int) -> str | None:
        code, part = _text(row.get("unit_code")), _text(row.get("part"))
        if code not in self.category:
            return f"未知的单位代码 {code!r}"
        if self.category[code] not in self.maxima:
            return f"单位 {code} 的类别 {self.category[code]!r} 不在考核方案中"
        name = self.names.get(part, part)
        if part == self.survey_part:
            return f"「{name}」由测评数据计算，不能导入"
        maxima = self.maxima[self.category[code]]
        if part not in maxima:
            return f"单位 {code} 所属类别没有考核项目 {part!r}（可导入：{', '.join(p for p in maxima if p != self.survey_part)}）"
        points = _number(row.get("points"))
        if points is None:
            return f"分值不是数字：{row.get('points')!r}"
        if not 0 <= points <= maxima[part]:
            return f"「{name}」的分值 {points:g} 应在 0 到 {maxima[part]} 之间"
        if (code, part) in self.seen:
            return f"单位 {code} 的「{name}」与第{self.seen[code, part]}行重复"
        self.seen[code, part] = line
        return None


def combine_totals(units: Sequence[Mapping], survey_points: Mapping[str, float | None],
                   parts_rows: Iterable[Mapping], adjustments: Iterable[Mapping], scheme: Mapping,
                   below_min_sample: Iterable[str] = ()) -> list[dict]:
    """Each unit's total and rank; `parts_rows` must have passed validate_parts.

    survey_points: {unit_code: points or None (no survey data)}, e.g. from SurveyScores.units.
    adjustments:   ledger rows {"unit_code", "amount"} with signed amounts (bonus > 0, deduction < 0);
                   rows with a true "revoked" key are skipped, so withdrawn entries can stay in the list.
    below_min_sample: codes of the units with too few valid survey responses to be ranked (scoring's
                   `below_min_sample`): they keep their total but get no rank (flag below_min_sample).
    Returns, in the order of `units`: {"unit_code", "category", "parts": {part: points or None},
    "bonus", "deduction", "total", "rank", "flags", "missing_parts"}. A unit without survey data has no
    total and no rank (flag no_data); a missing imported part counts 0 and is flagged missing_parts.
    """
    unranked = set(below_min_sample)
    imported: dict[str, dict[str, float]] = defaultdict(dict)
    for row in parts_rows:
        imported[_text(row["unit_code"])][_text(row["part"])] = _number(row["points"])
    bonus, deduction = _capped_adjustments(adjustments, {unit["code"] for unit in units}, scheme["adjustments"])
    maxima = {category["code"]: category["parts"] for category in scheme["categories"]}
    rows = [_total_row(unit, maxima[unit["category"]], imported[unit["code"]], survey_points.get(unit["code"]),
                       bonus[unit["code"]], deduction[unit["code"]], scheme["survey"]["part"]) for unit in units]
    for row in rows:
        if row["unit_code"] in unranked and row["total"] is not None:
            row["flags"].append("below_min_sample")
    ranks = competition_ranks([None if row["unit_code"] in unranked else row["total"] for row in rows],
                              [row["category"] for row in rows])
    for row, rank in zip(rows, ranks):
        row["rank"] = rank
    return rows


def _total_row(unit: Mapping, maxima: Mapping[str, float], imported: Mapping[str, float], survey: float | None,
               bonus: float, deduction: float, survey_part: str) -> dict:
    parts = {part: survey if part == survey_part else imported.get(part) for part in maxima}
    missing = [part for part, points in parts.items() if points is None and part != survey_part]
    flags = (["no_data"] if survey is None else []) + (["missing_parts"] if missing else [])
    total = None if survey is None else sum(p for p in parts.values() if p is not None) + bonus - deduction
    return {"unit_code": unit["code"], "category": unit["category"], "parts": parts, "bonus": bonus,
            "deduction": deduction, "total": total, "flags": flags, "missing_parts": missing}


def ledger_sums(adjustments: Iterable[Mapping]) -> tuple[defaultdict, defaultdict]:
    """Uncapped bonus and deduction (both positive) per unit code over the unrevoked ledger lines."""
    bonus, deduction = defaultdict(float), defaultdict(float)
    for entry in adjustments:
        if entry.get("revoked"):
            continue
        code, amount = _text(entry["unit_code"]), float(entry["amount"])
        if amount > 0:
            bonus[code] += amount
        else:
            deduction[code] -= amount
    return bonus, deduction


def capped(bonus: float, deduction: float, caps: Mapping) -> tuple[float, float]:
    """The scheme's caps, applied separately: a unit at the bonus cap still loses its deductions."""
    return min(bonus, caps["bonus_cap"]), min(deduction, caps["deduction_cap"])


def _capped_adjustments(adjustments: Iterable[Mapping], known: set[str],
                        caps: Mapping) -> tuple[defaultdict, defaultdict]:
    bonus, deduction = ledger_sums(adjustments)
    unknown = sorted((set(bonus) | set(deduction)) - known)
    if unknown:
        raise ValueError(f"加减分记录中的单位代码 {unknown[0]!r} 不在单位名单中")
    for code in known:
        bonus[code], deduction[code] = capped(bonus[code], deduction[code], caps)
    return bonus, deduction


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _number(value) -> float | None:
    """A finite number from a number or a string; None if it is not one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
