"""PDF notices: the ranking notice and a unit's report card, with Chinese text extractable."""
import shutil
import subprocess
from pathlib import Path

import pytest

from app.kernel.scheme import scheme_path
from stats.web.operations import add_adjustment
from stats.web.runs import create_run
from tests.stats_web.conftest import YEAR

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _text(pdf, tmp_path):
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def run(scored_units, staff):
    add_adjustment(scored_units[0], YEAR, 3, "承办现场会", "皖效办〔2024〕3号", staff)
    return create_run(YEAR, staff, "default")


def test_ranking_notice(client, run, tmp_path):
    response = client.get(f"/stats/runs/{run.id}/notice.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = _text(response.data, tmp_path)
    assert "关于2024年度机关效能建设考核结果的通报" in text and "草稿" in text
    assert "综合部门" in text and "甲厅" in text and "乙厅" in text and "丙局" in text
    assert "履行核心职能" in text and "400.00" in text


def test_unit_report_card(client, run, tmp_path):
    response = client.get(f"/stats/runs/{run.id}/units/A01/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = _text(response.data, tmp_path)
    assert "甲厅" in text and "服务对象测评" in text and "固定服务对象" in text
    assert "承办现场会" in text and "+3" in text and "320.00" in text
    assert client.get(f"/stats/runs/{run.id}/units/NOPE/report.pdf").status_code == 404


def test_pages_state_the_schemes_confidence_and_the_interval_method(client, scored_units, staff, tmp_path):
    text = Path(scheme_path("default")).read_text(encoding="utf-8").replace("confidence = 0.95", "confidence = 0.9")
    (tmp_path / "ninety.toml").write_text(text, encoding="utf-8")
    run = create_run(YEAR, staff, str(tmp_path / "ninety.toml"))
    page = client.get(f"/stats/runs/{run.id}/units/A01").data.decode()
    assert "90% 置信区间" in page and "95%" not in page
    assert "Welch–Satterthwaite" in page and "合并方差" in page
    card = _text(client.get(f"/stats/runs/{run.id}/units/A01/report.pdf").data, tmp_path)
    assert "90% 置信区间" in card and "95%" not in card and "Welch" in card


def test_all_unit_reports_at_once_one_per_unit_and_merged(runner, run, tmp_path):
    from app.kernel.extensions import db

    db.session.commit()  # the command reads the run through its own app context
    out = tmp_path / "reports"
    result = runner.invoke(args=["notices", "unit-reports", "--run", str(run.id), "--out", str(out),
                                 "--workers", "2"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["001-A02-乙厅.pdf", "002-A01-甲厅.pdf", "003-B01-丙局.pdf", "全部单位.pdf"]
    assert "甲厅" in _text((out / "002-A01-甲厅.pdf").read_bytes(), tmp_path)
    merged = _text((out / "全部单位.pdf").read_bytes(), tmp_path)
    assert merged.index("乙厅") < merged.index("甲厅") < merged.index("丙局")
    assert runner.invoke(args=["notices", "unit-reports", "--run", "99999", "--out", str(out)]).exit_code != 0
