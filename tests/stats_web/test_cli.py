"""`flask stats score` from files (a survey agency's data) and from the database (--year)."""
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import scheme_path
from stats.web.models import ScoreRun
from tests.stats_web.conftest import YEAR

UNITS_CSV = "code,name,category\nA,甲厅,1\nB,乙厅,1\nC,丙局,行政管理部门\n"
# Levels are 5 = 1.0, 4 = 0.8, 3 = 0.6, 1 = 0.0 on the default scale; blank = 不了解.
RESPONSES_CSV = """response_id,unit_code,group,submitted_at,duration_s,client_hash,window_code,q:q1,q:q2
r1,A,fixed,2024-03-01T09:00:00,120,,,5,4
r2,A,fixed,2024-03-01T09:05:00,120,,,3,3
r3,A,nonfixed,2024-03-01T10:00:00,90,c1,W1,5,5
r4,A,nonfixed,2024-03-01T11:00:00,90,c1,W1,1,1
r5,B,fixed,2024-03-01T09:00:00,100,,,4,4
r6,B,nonfixed,2024-03-01T09:30:00,80,c2,W2,4,
r7,B,nonfixed,2024-03-01T09:40:00,80,c3,W2,,
r1,B,fixed,2024-03-02T09:00:00,100,,,1,1
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "UNITS.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "RESPONSES.csv").write_text(RESPONSES_CSV, encoding="utf-8-sig")
    return tmp_path


def _score(runner, directory, *extra):
    out = directory / "RESULT.json"
    result = runner.invoke(args=["stats", "score", "--units", str(directory / "UNITS.csv"),
                                 "--responses", str(directory / "RESPONSES.csv"), *extra, "--out", str(out)])
    return result, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def _by_unit(document):
    return {row["unit_code"]: row for row in document["units"]}


def test_score_from_files_writes_the_result_shape_and_hand_computed_points(runner, files):
    result, document = _score(runner, files)
    assert result.exit_code == 0, result.output
    assert "3 个单位" in result.output and "剔除 3 份" in result.output
    assert set(document) >= {"scheme", "units", "excluded"} and document["scheme"] == "default"
    units = _by_unit(document)
    # 甲厅: fixed (0.9 + 0.6) / 2 = 0.75, non-fixed 1.0 (r4 repeats c1 within 24 h) → 0.6·0.75 + 0.4·1.0
    assert units["A"]["index"] == pytest.approx(0.85) and units["A"]["points"] == pytest.approx(340)
    assert units["B"]["points"] == pytest.approx(320)  # 0.8 and 0.8; r6 scored on its answered item only
    assert (units["A"]["rank"], units["B"]["rank"], units["C"]["rank"]) == (1, 2, None)
    assert units["C"]["category"] == 2 and units["C"]["flags"] == ["no_data"]
    assert units["A"]["n_fixed"] == 2 and units["A"]["n_nonfixed"] == 1
    assert sorted((e["response_id"], e["reason"]) for e in document["excluded"]) == [
        ("r1", "duplicate_id"), ("r4", "repeat_client"), ("r7", "empty")]


def test_min_ranked_comes_from_the_scheme(runner, files, tmp_path):
    text = re.sub(r"(?m)^min_ranked = \d+", "min_ranked = 3", Path(scheme_path("default")).read_text(encoding="utf-8"))
    (tmp_path / "three.toml").write_text(text, encoding="utf-8")
    result, document = _score(runner, files, "--scheme", str(tmp_path / "three.toml"))
    assert result.exit_code == 0, result.output
    units = _by_unit(document)
    # 甲厅 keeps three valid responses, 乙厅 two: 乙厅 keeps its points but is not ranked
    assert (units["A"]["rank"], units["B"]["rank"], units["C"]["rank"]) == (1, None, None)
    assert units["B"]["points"] == pytest.approx(320) and units["B"]["below_min_sample"]
    assert not units["A"]["below_min_sample"] and "below_min_sample" in units["B"]["flags"]


def test_no_screen_counts_everything_answered(runner, files):
    result, document = _score(runner, files, "--no-screen")
    assert result.exit_code == 0, result.output
    units = _by_unit(document)
    assert units["A"]["points"] == pytest.approx(400 * (0.6 * 0.75 + 0.4 * 0.5))
    assert units["B"]["points"] == pytest.approx(400 * (0.6 * 0.4 + 0.4 * 0.8))
    assert [(e["response_id"], e["reason"]) for e in document["excluded"]] == [("r7", "empty")]


def test_items_file_weights_the_items(runner, files):
    (files / "ITEMS.csv").write_text("item_code,weight,dimension\nq1,3,服务态度\nq2,1,办事效率\n", encoding="utf-8")
    result, document = _score(runner, files, "--items", str(files / "ITEMS.csv"))
    assert result.exit_code == 0, result.output
    # r1 = (3·1.0 + 0.8) / 4 = 0.95; fixed (0.95 + 0.6) / 2 = 0.775; 0.6·0.775 + 0.4·1.0 = 0.865
    assert _by_unit(document)["A"]["points"] == pytest.approx(346)


def test_scheme_may_be_a_file(runner, files):
    scheme = files / "pilot.toml"
    text = Path(scheme_path("default")).read_text(encoding="utf-8")
    scheme.write_text(text.replace('name = "default"', 'name = "pilot"').replace(
        "group_weights = { fixed = 0.6, nonfixed = 0.4 }", "group_weights = { fixed = 0.5, nonfixed = 0.5 }"),
        encoding="utf-8")
    result, document = _score(runner, files, "--scheme", str(scheme))
    assert result.exit_code == 0, result.output
    assert document["scheme"] == "pilot" and _by_unit(document)["A"]["points"] == pytest.approx(400 * 0.875)


def test_a_bad_row_is_named_with_its_file_and_line_and_nothing_is_written(runner, files):
    text = RESPONSES_CSV.replace("r5,B,", "r5,Z,")
    (files / "RESPONSES.csv").write_text(text, encoding="utf-8")
    result, document = _score(runner, files)
    assert result.exit_code == 1 and document is None
    assert "RESPONSES.csv 第6行：未知的单位代码 'Z'" in result.output


def test_unknown_scheme_and_mixed_modes_are_usage_errors(runner, files):
    result, _ = _score(runner, files, "--scheme", "nowhere")
    assert result.exit_code == 1 and "找不到考核方案" in result.output
    result, _ = _score(runner, files, "--year", "2024")
    assert result.exit_code == 2 and "二选一" in result.output
    result = runner.invoke(args=["stats", "score", "--out", str(files / "x.json")])
    assert result.exit_code == 2 and "--year" in result.output


def test_year_scores_the_database_campaign(runner, scored_units, tmp_path):
    out = tmp_path / "RESULT.json"
    result = runner.invoke(args=["stats", "score", "--year", str(YEAR), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["year"] == YEAR and document["excluded"] == []
    units = _by_unit(document)
    assert units["A01"]["points"] == pytest.approx(320) and units["A02"]["points"] == pytest.approx(400)
    assert units["B01"]["flags"] == ["no_data"]


def test_year_without_a_campaign_fails_cleanly(runner, tmp_path):
    result = runner.invoke(args=["stats", "score", "--year", "2031", "--out", str(tmp_path / "R.json")])
    assert result.exit_code == 1 and "没有2031年度的测评活动" in result.output
    assert not (tmp_path / "R.json").exists()


def test_run_command_stores_a_draft_run(runner, scored_units):
    result = runner.invoke(args=["stats", "run", "--year", str(YEAR), "--note", "夜间批量计分"])
    assert result.exit_code == 0, result.output
    run = db.session.scalars(sa.select(ScoreRun)).one()
    assert (run.status, run.note, run.created_by_id, run.sequence) == ("draft", "夜间批量计分", None, 1)
    assert "2024年度第1次计分" in result.output
