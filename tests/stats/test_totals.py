"""Validating imported parts and combining them into the 1000-point total."""
import pytest

from stats.totals import combine_totals, validate_parts


def part(unit, name, points, source="省效能办", note=""):
    return {"unit_code": unit, "part": name, "points": points, "source": source, "note": note}


FULL = {"core_duties": "280", "power_regulation": "190", "efficiency_work": "95"}


def full_parts(unit, **overrides):
    return [part(unit, name, overrides.get(name, points)) for name, points in FULL.items()]


def test_valid_rows_give_no_errors(units, scheme):
    rows = full_parts("A") + [part("E", "core_duties", 300), part("E", "power_regulation", "0")]
    assert validate_parts(rows, units, scheme) == []


def test_each_bad_row_is_named_by_its_line(units, scheme):
    rows = [
        part("A", "core_duties", "280"),      # line 2: fine
        part("ZZ", "core_duties", "280"),     # 3
        part("A", "survey", "380"),           # 4
        part("A", "local_economy", "500"),    # 5: not a part of category 1
        part("A", "power_regulation", "201"),  # 6: over the maximum 200
        part("A", "efficiency_work", "-1"),   # 7
        part("B", "core_duties", "很好"),      # 8
        part("A", "core_duties", "270"),      # 9: duplicate of line 2
    ]
    errors = validate_parts(rows, units, scheme)
    assert [e.split("：")[0] for e in errors] == [f"第{n}行" for n in (3, 4, 5, 6, 7, 8, 9)]
    assert "未知的单位代码 'ZZ'" in errors[0]
    assert "服务对象测评」由测评数据计算" in errors[1]
    assert "没有考核项目 'local_economy'" in errors[2]
    assert "应在 0 到 200 之间" in errors[3]
    assert "应在 0 到 100 之间" in errors[4]
    assert "分值不是数字" in errors[5]
    assert "与第2行重复" in errors[6]


def test_total_is_parts_plus_survey_plus_capped_adjustments(units, scheme):
    survey = {"A": 360.0, "B": 340.0, "C": 340.0, "D": None, "E": 300.0}
    rows = full_parts("A") + full_parts("B") + full_parts("C") + full_parts("D")
    ledger = [{"unit_code": "A", "amount": 30}, {"unit_code": "A", "amount": 40},   # bonus 70 → cap 50
              {"unit_code": "A", "amount": -2}, {"unit_code": "A", "amount": -9, "revoked": True},
              {"unit_code": "B", "amount": -70}, {"unit_code": "B", "amount": -50}]  # deduction 120 → cap 100
    result = {row["unit_code"]: row for row in combine_totals(units, survey, rows, ledger, scheme)}
    assert result["A"]["bonus"] == 50 and result["A"]["deduction"] == 2
    assert result["A"]["total"] == pytest.approx(280 + 190 + 95 + 360 + 50 - 2)
    assert result["B"]["deduction"] == 100
    assert result["B"]["total"] == pytest.approx(280 + 190 + 95 + 340 - 100)
    assert result["A"]["parts"] == {"core_duties": 280.0, "power_regulation": 190.0, "survey": 360.0,
                                    "efficiency_work": 95.0}


def test_ranks_share_ties_and_skip_units_without_survey_data(units, scheme):
    survey = {"A": 360.0, "B": 340.0, "C": 340.0, "D": None, "E": 300.0}
    rows = full_parts("A") + full_parts("B") + full_parts("C") + full_parts("D")
    result = combine_totals(units, survey, rows, [], scheme)
    assert [row["rank"] for row in result] == [1, 2, 2, None, 1]
    assert result[3]["total"] is None and result[3]["flags"] == ["no_data"]


def test_units_below_min_sample_keep_their_total_but_are_not_ranked(units, scheme):
    survey = {"A": 390.0, "B": 340.0, "C": 300.0, "D": None, "E": 300.0}
    rows = full_parts("A") + full_parts("B") + full_parts("C")
    result = combine_totals(units, survey, rows, [], scheme, below_min_sample={"A", "D"})
    assert [row["rank"] for row in result] == [None, 1, 2, None, 1]
    assert result[0]["total"] == pytest.approx(280 + 190 + 95 + 390)
    assert result[0]["flags"] == ["below_min_sample"] and result[3]["flags"] == ["no_data", "missing_parts"]


def test_missing_imported_part_counts_zero_and_is_flagged(units, scheme):
    rows = [part("A", "core_duties", 280)]
    row = combine_totals(units, {"A": 300.0}, rows, [], scheme)[0]
    assert row["total"] == pytest.approx(580.0)
    assert row["flags"] == ["missing_parts"]
    assert row["missing_parts"] == ["power_regulation", "efficiency_work"]


def test_adjustment_for_an_unknown_unit_is_an_error(units, scheme):
    with pytest.raises(ValueError, match="'ZZ' 不在单位名单中"):
        combine_totals(units, {}, [], [{"unit_code": "ZZ", "amount": 5}], scheme)
