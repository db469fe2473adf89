"""Exports of a run: CSV and XLSX with formula text neutralised, and JSON with hashes."""
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from app.kernel.extensions import db
from stats.web.exports import neutralise
from stats.web.runs import create_run
from tests.stats_web.conftest import YEAR


HIDDEN_FORMULA = "\x0b=HYPERLINK(\"http://evil.example\",\"丙局\")"  # a control character in front


@pytest.fixture
def run(scored_units, staff):
    scored_units[0].name = "=HYPERLINK(\"http://evil.example\",\"甲厅\")"
    scored_units[1].name = "@SUM(1+1)*cmd|' /C calc'!A0\x0b"  # with a control character XML cannot hold
    scored_units[2].name = HIDDEN_FORMULA
    db.session.flush()
    return create_run(YEAR, staff, "default")


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-3", "'-3"), ("@x", "'@x"), ("\tx", "'\tx"), ("\r=x", "'\r=x"),
    ("甲厅", "甲厅"), ("\x0b=1+1", "'=1+1"), ("\x00\x1f@x", "'@x"), (" =1+1", "' =1+1"), ("\n-1", "'\n-1"),
    ("a\x0bb", "ab"), (-3.5, -3.5), (None, None),
])
def test_neutralise_strips_control_characters_first(value, expected):
    assert neutralise(value) == expected


def test_xlsx_holds_formula_text_as_text(client, run):
    response = client.get(f"/stats/runs/{run.id}/export.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["考核结果"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=2)]
    names = {row["单位代码"]: row for row in rows}
    assert names["A01"]["单位名称"].startswith("'=HYPERLINK")
    assert names["A02"]["单位名称"].startswith("'@SUM")
    assert names["B01"]["单位名称"] == "'" + HIDDEN_FORMULA[1:]
    assert all(cell.data_type == "s" for cell in sheet["E"])  # strings, never formulas
    assert names["A01"]["服务对象测评"] == pytest.approx(320) and names["A01"]["名次"] == 2
    assert names["B01"]["总分"] is None and "无有效答卷" in names["B01"]["标记"]
    assert book["无效问卷"].max_row == 1  # header only: nothing was excluded


def test_csv_has_a_bom_and_neutralised_names(client, run):
    response = client.get(f"/stats/runs/{run.id}/export.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_code = {row["单位代码"]: row for row in rows}
    assert by_code["A01"]["单位名称"].startswith("'=") and by_code["A02"]["单位名称"].startswith("'@")
    assert by_code["B01"]["单位名称"] == "'" + HIDDEN_FORMULA[1:]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert float(by_code["A02"]["总分"]) == pytest.approx(400) and by_code["A02"]["名次"] == "1"


def test_json_export_carries_identity_hashes_and_results(client, run):
    document = json.loads(client.get(f"/stats/runs/{run.id}/export.json").data)
    assert document["run"]["sequence"] == 1 and document["run"]["status"] == "draft"
    assert document["input_hashes"] == run.input_hashes and document["scheme_sha256"] == run.scheme_sha256
    assert {row["unit_code"] for row in document["totals"]} == {"A01", "A02", "B01"}
    assert document["scheme"] == "default" and "excluded" in document


def test_unknown_export_format_is_404(client, run):
    assert client.get(f"/stats/runs/{run.id}/export.exe").status_code == 404
