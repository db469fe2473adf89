"""Imported parts: checked against the scheme's maxima, every error names its row, all or nothing."""
import io

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from stats.web.models import PartScore
from stats.web.operations import StatsError, read_parts_csv
from stats.web.runs import create_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR


def _upload(client, text, filename="核心职能考核.csv", encoding="utf-8"):
    page = client.get(f"/stats/parts?year={YEAR}").data.decode()
    return client.post("/stats/parts", data={"csrf_token": csrf_from(page), "year": YEAR,
                                             "file": (io.BytesIO(text.encode(encoding)), filename)},
                       content_type="multipart/form-data")


def test_parts_are_imported_with_their_source_and_enter_the_total(client, scored_units, staff):
    text = ("unit_code,part,points,source,note\n"
            "A01,core_duties,280,省委督查室,\n"
            "A01,power_regulation,190,,含整改加分\n")
    response = _upload(client, text)
    assert response.status_code == 302
    rows = {p.part: p for p in db.session.scalars(sa.select(PartScore))}
    assert rows["core_duties"].source == "省委督查室" and rows["core_duties"].points == 280
    assert rows["power_regulation"].source == "核心职能考核.csv" and rows["power_regulation"].note == "含整改加分"
    assert rows["core_duties"].imported_by_id == staff.id and rows["core_duties"].year == YEAR
    html = client.get(f"/stats/parts?year={YEAR}").data.decode()
    assert "省委督查室" in html and "履行核心职能" in html
    run = create_run(YEAR, staff, "default")
    total = next(row for row in run.results["totals"] if row["unit_code"] == "A01")
    assert total["total"] == pytest.approx(280 + 190 + 320)
    assert total["flags"] == ["missing_parts"] and total["missing_parts"] == ["efficiency_work"]


def test_reimport_replaces_the_same_unit_and_part(client, scored_units, staff):
    assert _upload(client, "unit_code,part,points,source,note\nA01,core_duties,280,甲,\n").status_code == 302
    assert _upload(client, "unit_code,part,points,source,note\nA01,core_duties,250,乙,\n").status_code == 302
    score = db.session.scalars(sa.select(PartScore)).one()
    assert (score.points, score.source) == (250, "乙")


def test_a_point_above_the_maximum_names_the_row_and_nothing_is_stored(client, scored_units, staff):
    text = ("unit_code,part,points,source,note\n"
            "A01,core_duties,280,考核组,\n"
            "A02,core_duties,301,考核组,\n"
            "B01,survey,100,考核组,\n"
            "ZZZ,core_duties,1,考核组,\n")
    response = _upload(client, text)
    assert response.status_code == 400
    html = response.data.decode()
    assert "第3行：「履行核心职能」的分值 301 应在 0 到 300 之间" in html
    assert "第4行：「服务对象测评」由测评数据计算，不能导入" in html
    assert "第5行：未知的单位代码 &#39;ZZZ&#39;" in html
    assert db.session.scalar(sa.select(sa.func.count(PartScore.id))) == 0


def test_a_part_outside_the_category_is_refused(client, make, staff):
    make.unit(name="某银行", code="F01", category=4)
    response = _upload(client, "unit_code,part,points,source,note\nF01,core_duties,100,x,\n")
    assert response.status_code == 400 and "第2行：单位 F01 所属类别没有考核项目" in response.data.decode()


def test_gbk_files_from_excel_are_read(client, scored_units, staff):
    response = _upload(client, "unit_code,part,points,source,note\nA01,core_duties,280,省委督查室,\n",
                       encoding="gb18030")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(PartScore.source)).one() == "省委督查室"


@pytest.mark.parametrize("text, message", [
    ("unit,part,points\nA01,core_duties,1\n", "第1行：缺少列 unit_code"),
    ("unit_code,part,points\nA01,core_duties\n", "第2行：应有 3 列，实际为 2 列"),
    ("unit_code,part,points\nA01,core_duties,1\n\nA02,core_duties,1\n", "第3行：空行"),
])
def test_structural_errors_name_the_line(text, message):
    with pytest.raises(StatsError) as refused:
        read_parts_csv(text)
    assert message in refused.value.errors


def test_blank_lines_at_the_end_are_ignored():
    assert read_parts_csv("unit_code,part,points\nA01,core_duties,1\n\n\n") == [
        {"unit_code": "A01", "part": "core_duties", "points": "1"}]


def test_missing_file_is_a_form_error(client, staff):
    page = client.get("/stats/parts").data.decode()
    response = client.post("/stats/parts", data={"csrf_token": csrf_from(page), "year": YEAR},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择要导入的 CSV 文件" in response.data.decode()


def test_a_run_refuses_stored_parts_the_scheme_no_longer_allows(scored_units, staff):
    first = scored_units[0]
    db.session.add(PartScore(unit_id=first.id, year=YEAR, part="core_duties", points=350, source="旧方案",
                             imported_by_id=staff.id))
    db.session.flush()
    with pytest.raises(StatsError) as refused:
        create_run(YEAR, staff, "default")
    assert refused.value.errors == ["第1行：「履行核心职能」的分值 350 应在 0 到 300 之间"]
