"""Who is ranked (issue 9, failure 1): a unit with fewer valid responses than [survey] min_ranked keeps its
points and interval but has no rank, on the pages, in the exports and in the documents; publishing a run
that leaves units unranked needs a confirmation that lists them, and the run records who gave it."""
import csv
import io
import json
import re
import subprocess

import pytest
from openpyxl import load_workbook

from app.kernel.extensions import db
from stats.web.models import ScoreRun
from stats.web.runs import create_run, publish_run
from stats.web.operations import StatsError
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR

MIN_RANKED = 2  # 甲厅 has three valid responses, 乙厅 two, the 丁厅 of these tests one


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    """A configured public address: no 样张 mark across the text of the documents."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")


@pytest.fixture
def lone(make, respond, scored_units):
    """丁厅 (category 1): one walk-in response at 非常满意, 400 points, which used to top the category."""
    unit = make.unit(name="丁厅", code="A03", category=1)
    respond(unit, "nonfixed", level=5)
    return unit


@pytest.fixture
def run(lone, staff):
    return create_run(YEAR, staff, "default")


def _by_code(rows):
    return {row["unit_code"]: row for row in rows}


def test_a_single_response_no_longer_tops_its_category(run):
    survey, totals = _by_code(run.results["units"]), _by_code(run.results["totals"])
    assert survey["A03"]["points"] == pytest.approx(400) and survey["A03"]["points_ci"] is not None
    assert survey["A03"]["rank"] is None and survey["A03"]["below_min_sample"] is True
    assert totals["A03"]["rank"] is None and "below_min_sample" in totals["A03"]["flags"]
    assert totals["A03"]["total"] is not None, "an unranked unit keeps its total"
    assert (totals["A02"]["rank"], totals["A01"]["rank"]) == (1, 2), "the others are ranked among themselves"
    assert run.results["min_ranked"] == MIN_RANKED


def test_run_and_unit_pages_say_who_is_not_ranked(client, run):
    page = client.get(f"/stats/runs/{run.id}").data.decode()
    assert 'title="有效答卷不足，不参与排名"' in page
    assert "丁厅（有效样本不足2份）" in page and "丙局（无有效答卷）" in page
    unit = client.get(f"/stats/runs/{run.id}/units/A03").data.decode()
    rank = re.search(r'<div id="rank">(.*?)</div>', unit, re.S).group(1)
    assert "不参与排名（有效样本不足2份）" in rank and "400.00" in unit
    ranked = client.get(f"/stats/runs/{run.id}/units/A01").data.decode()
    assert "第 2 名（本类共 2 个单位参与排名）" in ranked, "the denominator counts the ranked units only"


def test_exports_carry_the_reason_beside_an_empty_rank(client, run):
    rows = list(csv.DictReader(io.StringIO(client.get(f"/stats/runs/{run.id}/export.csv").data.decode("utf-8-sig"))))
    by_code = {row["单位代码"]: row for row in rows}
    assert by_code["A03"]["名次"] == "" and by_code["A03"]["不参与排名的原因"] == "有效样本不足2份"
    assert float(by_code["A03"]["总分"]) == pytest.approx(400)
    assert by_code["A01"]["名次"] == "2" and by_code["A01"]["不参与排名的原因"] == ""
    book = load_workbook(io.BytesIO(client.get(f"/stats/runs/{run.id}/export.xlsx").data))
    sheet = book["考核结果"]
    header = [cell.value for cell in sheet[1]]
    xlsx = {row[header.index("单位代码")]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx["A03"]["名次"] is None and xlsx["A03"]["不参与排名的原因"] == "有效样本不足2份"
    document = json.loads(client.get(f"/stats/runs/{run.id}/export.json").data)
    assert _by_code(document["units"])["A03"]["below_min_sample"] is True


def _pdf_text(data, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text)


def test_documents_state_the_rank_among_the_ranked(client, run, tmp_path):
    report = _pdf_text(client.get(f"/stats/runs/{run.id}/units/A01/report.pdf").data, tmp_path)
    assert "第2名（本类共2个单位参与排名）" in report and "/3" not in report
    lone = _pdf_text(client.get(f"/stats/runs/{run.id}/units/A03/report.pdf").data, tmp_path)
    assert "不参与排名（有效样本不足2份）" in lone
    notice = _pdf_text(client.get(f"/stats/runs/{run.id}/notice.pdf").data, tmp_path)
    assert "本类3个单位参加考核，2个单位参与排名" in notice
    assert "三、未参与排名的单位丁厅因服务对象测评有效答卷不足2份；丙局因没有有效的服务对象测评答卷" in notice
    assert "below_min_sample" not in notice


def test_publishing_an_unranked_run_needs_a_confirmation_that_lists_the_units(client, run, staff):
    page = client.get(f"/stats/runs/{run.id}").data.decode()
    listing = re.search(r'<div class="notice" id="unranked">(.*?)</div>', page, re.S).group(1)
    assert "综合部门：丁厅（有效样本不足2份）" in listing
    assert "行政管理部门：丙局（无有效答卷）" in listing and 'name="confirm_unranked"' in page
    token = csrf_from(page)
    refused = client.post(f"/stats/runs/{run.id}/publish", data={"csrf_token": token, "confirm_missing_parts": "y"})
    assert refused.status_code == 409
    assert "本次计分有 2 个单位不参与排名" in refused.data.decode() and "丁厅" in refused.data.decode()
    stored = db.session.get(ScoreRun, run.id)
    assert stored.status == "draft" and stored.unranked_confirmed_by_id is None
    confirmed = client.post(f"/stats/runs/{run.id}/publish",
                            data={"csrf_token": token, "confirm_missing_parts": "y", "confirm_unranked": "y"})
    assert confirmed.status_code == 302
    stored = db.session.get(ScoreRun, run.id)
    assert stored.status == "published" and stored.unranked_confirmed_by_id == staff.id
    assert f"发布时由 {staff.username} 确认" in client.get(f"/stats/runs/{run.id}").data.decode()


def test_a_run_that_ranks_everyone_records_no_confirmation(make, respond, staff):
    for code, level in (("C01", 5), ("C02", 4)):
        unit = make.unit(name=f"单位{code}", code=code, category=1)
        for _ in range(MIN_RANKED):
            respond(unit, "nonfixed", level=level)
    run = create_run(YEAR, staff, "default")
    assert [row["rank"] for row in run.results["totals"]] == [1, 2]
    publish_run(run, staff, confirm_missing_parts=True)
    assert run.is_published and run.unranked_confirmed_by_id is None


def test_the_refusal_lists_the_units_when_called_directly(run, staff):
    with pytest.raises(StatsError) as refused:
        publish_run(run, staff, confirm_missing_parts=True)
    assert refused.value.status == 409
    assert refused.value.errors == ["综合部门：丁厅（有效样本不足2份）", "行政管理部门：丙局（无有效答卷）"]
