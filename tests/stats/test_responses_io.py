"""Reading UNITS / ITEMS / RESPONSES CSV files, their errors, and the CSV → RESULT path."""
import json

import numpy as np
import pytest

from stats.responses_io import (InputError, read_items, read_responses, read_table, read_units,
                                responses_from_records)
from stats.scoring import score_csv

HEADER = "response_id,unit_code,group,submitted_at,duration_s,client_hash,window_code,q:q1,q:q2\n"


@pytest.fixture
def write(tmp_path):
    def write_file(name: str, text: str, bom: bool = False) -> str:
        path = tmp_path / name
        path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
        return str(path)
    return write_file


def test_reads_responses_with_bom_blanks_and_offsets(write, units):
    path = write("r.csv", HEADER
                 + "r1,A,fixed,2024-03-01T09:30:00,95.5,,,5,\n"
                 + "r2,B,nonfixed,2024-03-01T01:30:00+00:00,,h1,W1,,2\n"
                 + "r3,B,nonfixed,2024-03-01T10:00:00Z,12,h1,W2,4,4\n", bom=True)
    responses = read_responses(path, units)
    assert responses.response_id == ["r1", "r2", "r3"]
    assert responses.item_codes == ("q1", "q2")
    assert responses.unit.tolist() == [0, 1, 1]
    assert responses.group.tolist() == [0, 1, 1]
    # UTC offsets become China Standard Time
    assert responses.submitted_at.astype(str).tolist() == ["2024-03-01T09:30:00", "2024-03-01T09:30:00",
                                                           "2024-03-01T18:00:00"]
    assert responses.duration_s[0] == 95.5 and np.isnan(responses.duration_s[1])
    assert responses.client.tolist() == [-1, 0, 0]
    assert responses.window.tolist() == [-1, 0, 1]
    assert responses.levels.tolist() == [[5, 0], [0, 2], [4, 4]]


def test_trailing_blank_lines_and_header_only_files_are_fine(write, units):
    assert len(read_responses(write("r.csv", HEADER + "r1,A,fixed,2024-03-01T09:30:00,,,,5,5\n\n\n"), units)) == 1
    empty = read_responses(write("h.csv", HEADER), units)
    assert len(empty) == 0 and empty.levels.shape == (0, 2)


@pytest.mark.parametrize("row, line, message", [
    ("r1,A,fixed,2024-03-01T09:30:00,,,,5,5\nr2,ZZ,fixed,2024-03-01T09:30:00,,,,5,5", 3, "未知的单位代码 'ZZ'"),
    ("r1,A,walkin,2024-03-01T09:30:00,,,,5,5", 2, "group 应为 fixed 或 nonfixed"),
    ("r1,A,fixed,2024-03-01T09:30:00,,,,6,5", 2, "q:q1 的等级应为 1-5 或留空，实际为 '6'"),
    ("r1,A,fixed,2024-03-01T09:30:00,,,,5,x", 2, "q:q2 的等级"),
    ("r1,A,fixed,2024-03-01T09:30:00,,,,5,5\nr2,A,fixed,2024-02-30T09:30:00,,,,5,5", 3, "submitted_at 不是有效的"),
    ("r1,A,fixed,now,,,,5,5", 2, "submitted_at 不是有效的"),
    ("r1,A,fixed,2024-03-01T09:30:00,-3,,,5,5", 2, "duration_s 不能为负"),
    ("r1,A,fixed,2024-03-01T09:30:00,fast,,,5,5", 2, "duration_s 不是数字"),
    ("r1,A,fixed,2024-03-01T09:30:00,,,5,5", 2, "应有 9 列，实际为 8 列"),
    (",A,fixed,2024-03-01T09:30:00,,,,5,5", 2, "response_id 为空"),
    ("r1,A,fixed,2024-03-01T09:30:00,,,,5,5\n\nr2,A,fixed,2024-03-01T09:30:00,,,,5,5", 3, "文件中间有空行"),
])
def test_response_errors_name_the_line(write, units, row, line, message):
    with pytest.raises(InputError, match=message) as caught:
        read_responses(write("r.csv", HEADER + row + "\n"), units)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"第{line}行：")


def test_missing_columns_are_reported_on_line_one(write, units):
    with pytest.raises(InputError, match="第1行：缺少列：duration_s"):
        read_responses(write("r.csv", "response_id,unit_code,group,submitted_at,client_hash,window_code,q:q1\n"), units)
    with pytest.raises(InputError, match="没有题目列"):
        read_responses(write("r.csv", HEADER.replace(",q:q1,q:q2", "")), units)


def test_progress_reaches_the_file_size(write, units):
    path = write("r.csv", HEADER + "r1,A,fixed,2024-03-01T09:30:00,,,,5,5\n")
    calls = []
    read_responses(path, units, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] > 0


def test_records_and_csv_give_the_same_arrays(write, units):
    path = write("r.csv", HEADER + "r1,A,fixed,2024-03-01T09:30:00,60,,,5,\nr2,B,nonfixed,2024-03-01T10:00:00,,h,W,3,1\n")
    from_csv = read_responses(path, units)
    from_records = responses_from_records([
        {"response_id": "r1", "unit_code": "A", "group": "fixed", "submitted_at": "2024-03-01T09:30:00",
         "duration_s": 60, "client_hash": None, "window_code": None, "levels": {"q1": 5}},
        {"response_id": "r2", "unit_code": "B", "group": "nonfixed", "submitted_at": "2024-03-01T10:00:00",
         "duration_s": None, "client_hash": "h", "window_code": "W", "levels": {"q1": 3, "q2": 1}},
    ], units, ("q1", "q2"))
    for name in ("unit", "group", "submitted_at", "client", "window", "levels", "address"):
        assert np.array_equal(getattr(from_csv, name), getattr(from_records, name)), name
    assert np.array_equal(from_csv.duration_s, from_records.duration_s, equal_nan=True)
    assert from_csv.address.tolist() == [-1, -1], "no address_hash column: no address"


def test_the_optional_address_hash_column(write, units):
    header = HEADER.replace("window_code,", "window_code,address_hash,")
    path = write("r.csv", header + "r1,A,nonfixed,2024-03-01T09:30:00,60,c1,W,zz,5,\n"
                                   "r2,B,nonfixed,2024-03-01T10:00:00,,c2,W,,3,1\n"
                                   "r3,B,nonfixed,2024-03-01T10:05:00,,c3,W,aa,3,1\n")
    from_csv = read_responses(path, units)
    assert from_csv.address.tolist() == [1, -1, 0], "ranks of the hashes in sorted order; blank is none"
    records = [{"response_id": f"r{i}", "unit_code": "A", "group": "nonfixed", "submitted_at": "2024-03-01T09:30:00",
                "duration_s": None, "client_hash": None, "window_code": None, "address_hash": address,
                "levels": {"q1": 5}} for i, address in enumerate(("zz", None, "aa"))]
    assert responses_from_records(records, units, ("q1", "q2")).address.tolist() == [1, -1, 0]


def test_units_by_category_code_or_name(write, scheme):
    path = write("u.csv", "code,name,category\nA,甲厅,1\nF,某银行,金融服务机构\n")
    assert read_units(path, scheme["categories"]) == [{"code": "A", "name": "甲厅", "category": 1},
                                                      {"code": "F", "name": "某银行", "category": 4}]
    with pytest.raises(InputError, match="第3行：未知的单位类别 '9'"):
        read_units(write("u.csv", "code,name,category\nA,甲厅,1\nB,乙厅,9\n"), scheme["categories"])
    with pytest.raises(InputError, match="第3行：单位代码 'A' 重复"):
        read_units(write("u.csv", "code,name,category\nA,甲厅,1\nA,乙厅,1\n"))


def test_items_with_weights_and_dimensions(write):
    items = read_items(write("i.csv", "item_code,weight,dimension\nq1,2,服务态度\nq2,0.5,\n"), ["q1", "q2"])
    assert items == {"q1": {"weight": 2.0, "dimension": "服务态度"}, "q2": {"weight": 0.5, "dimension": None}}
    with pytest.raises(InputError, match="第2行：题目 'q9' 不在答卷文件的 q: 列中"):
        read_items(write("i.csv", "item_code,weight\nq9,1\n"), ["q1"])
    with pytest.raises(InputError, match="第2行：权重必须为正数"):
        read_items(write("i.csv", "item_code,weight\nq1,0\n"))
    with pytest.raises(InputError, match="第2行：权重不是数字"):
        read_items(write("i.csv", "item_code,weight\nq1,heavy\n"))


def test_read_table_checks_columns_and_widths(write):
    assert read_table(write("t.csv", "a,b\n1,2\n"), ("a",)) == [{"a": "1", "b": "2"}]
    with pytest.raises(InputError, match="第3行：应有 2 列"):
        read_table(write("t.csv", "a,b\n1,2\n3\n"), ("a",))


def test_score_csv_end_to_end(write, scheme):
    units = write("u.csv", "code,name,category\nA,甲厅,1\nB,乙厅,1\n")
    responses = write("r.csv", HEADER + "r1,A,fixed,2024-03-01T09:30:00,,,,5,3\n"
                                        "r2,A,nonfixed,2024-03-01T09:31:00,,,,4,\n"
                                        "r3,B,fixed,2024-03-01T09:32:00,,,,,\n")
    items = write("i.csv", "item_code,weight\nq2,3\n")
    scheme["survey"]["min_ranked"] = 2
    result = json.loads(json.dumps(score_csv(units, responses, scheme, items_csv=items)))
    a, b = result["units"]
    assert a["index_fixed"] == pytest.approx((1.0 + 3 * 0.6) / 4)
    assert a["index"] == pytest.approx(0.6 * 0.7 + 0.4 * 0.8)
    assert a["rank"] == 1 and b["rank"] is None and not a["below_min_sample"] and b["below_min_sample"]
    assert result["excluded"] == [{"response_id": "r3", "reason": "empty"}]
