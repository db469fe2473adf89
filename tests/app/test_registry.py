import io
import os

import pytest
import sqlalchemy as sa

from app.registry import operations as registry
from app.kernel.extensions import db
from app.registry.models import Unit

SEED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "seed", "000_83650aaa320e54a2.txt")


def test_shipped_list_parses_into_four_categories():
    with open(registry.ANHUI_LIST, encoding="utf-8") as fh:
        groups = registry.parse_unit_list(fh.read())
    assert [(c, len(names)) for c, _, names in groups] == [(1, 33), (2, 43), (3, 16), (4, 21)]
    names = [name for _, _, group in groups for name in group]
    # 、 inside parentheses does not split; the page break inside 省人防办 is joined.
    assert "省政府外办(侨办、港澳办)" in names
    assert "省人防办(省民防局)" in names
    assert "省信用担保集团有限公司" in names  # trailing 。 dropped
    assert len(set(names)) == 113


def test_shipped_excerpt_matches_the_seed_or_the_bundled_csv():
    """With the shared seed beside the checkout the excerpt must be in it; without, the CSV is checked."""
    if os.path.exists(SEED):
        with open(SEED, encoding="utf-8") as fh:
            seed = fh.read()
        with open(registry.ANHUI_LIST, encoding="utf-8") as fh:
            assert fh.read().strip() in seed
    with open(registry.ANHUI_CSV, encoding="utf-8") as fh:
        rows = registry.read_csv(fh)
    assert len(rows) == 113
    assert [sum(row["category"] == c for row in rows) for c in (1, 2, 3, 4)] == [33, 43, 16, 21]


def test_shipped_csv_is_the_parsed_list():
    with open(registry.ANHUI_LIST, encoding="utf-8") as fh:
        expected = registry.assign_codes(registry.parse_unit_list(fh.read()))
    with open(registry.ANHUI_CSV, encoding="utf-8") as fh:
        assert registry.read_csv(fh) == expected


def test_wrong_count_is_an_error():
    with pytest.raises(registry.RegistryError, match="应有3个"):
        registry.parse_unit_list("第一类:综合部门(3个)\n甲、乙")


def test_import_is_idempotent_and_updates_by_code(app):
    rows = [{"code": "D101", "name": "纪工委（监察局）", "category": 1},
            {"code": "D201", "name": "消防大队", "category": 2}]
    assert registry.import_units(rows) == (2, 0)
    assert registry.import_units(rows) == (0, 0)
    rows[1]["name"] = "消防救援大队"
    assert registry.import_units(rows) == (0, 1)
    assert db.session.scalar(sa.select(Unit.name).where(Unit.code == "D201")) == "消防救援大队"


@pytest.mark.parametrize("text, message", [
    ("code,name\nA,B\n", "缺少列：category"),
    ("code,name,category\nA1,甲,x\n", "第2行"),
    ("code,name,category\nA1,甲,1\nA1,乙,2\n", "第3行：单位代码 A1 重复"),
    ("code,name,category\n,甲,1\n", "不能为空"),
])
def test_bad_csv_names_the_row(text, message):
    with pytest.raises(registry.RegistryError, match=message):
        registry.read_csv(io.StringIO(text))


@pytest.mark.isolated
def test_cli_init_twice_then_export_and_import(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "一次性密码" in first.output
    second = runner.invoke(args=["init"])
    assert "单位：新增 0" in second.output and "一次性密码" not in second.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 113
    exported = runner.invoke(args=["units", "export"]).output.splitlines()
    assert exported[0] == "code,name,category" and len(exported) == 114
    assert "A204,省经信委,2" in exported


@pytest.mark.isolated
def test_cli_import_loads_another_region(isolated_app, tmp_path):
    runner = isolated_app.test_cli_runner()
    path = tmp_path / "district.csv"
    path.write_text("code,name,category\nQ101,纪工委(监察局),1\nQ201,消防大队,2\nQ301,某乡镇,3\n",
                    encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,category\nQ401,甲,12\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(bad)])
    assert result.exit_code != 0 and "第2行" in result.output


def test_api_lists_units(client, make):
    unit = make.unit(name="省测试厅", category=2)
    data = client.get("/api/v1/units").get_json()
    assert {"code": unit.code, "name": "省测试厅", "category": 2} in data


def test_home_page_leads_to_intake_status_and_api(client):
    html = client.get("/").data.decode()
    assert 'href="/cases/new"' in html and 'href="/cases/lookup"' in html
    assert client.get("/api/v1/openapi.json").status_code == 200
