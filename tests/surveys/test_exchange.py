"""Exchange with the provincial platform: the export (one record per rating, an opaque id, a day only for
fixed respondents, nothing personal), the import of the platform's ratings as responses of channel
platform (idempotent, each refusal with its reason), the round trip, the page and the audit log."""
import csv
import io
import json
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.kernel.extensions import db
from stats.web.runs import compute_results
from app.kernel.scheme import current_scheme
from surveys.exchange import FIELDS
from surveys.models import Answer, PlatformRating, Response

YEAR = 2024
COMMENT = "三号窗口的李某态度恶劣"


@pytest.fixture
def setting(make):
    unit = make.unit(code="A01", name="甲厅")
    other = make.unit(code="B01", name="乙局", category=2)
    return {"unit": unit, "other": other, "window": make.window(unit, code="A01-W1"),
            "other_window": make.window(other, code="B01-W1"), "campaign": make.campaign(year=YEAR)}


def _respond(setting, group, levels, at, window=None, channel="qr", comment=""):
    """A response whose items get `levels` in questionnaire order (None = 不了解)."""
    questionnaire = setting["campaign"].questionnaire_for(group)
    response = Response(public_id=uuid.uuid4().hex, campaign_id=setting["campaign"].id,
                        unit_id=setting["unit"].id, window_id=window.id if window else None, group=group,
                        questionnaire_id=questionnaire.id, channel=channel, submitted_at=at, comment=comment)
    response.answers = [Answer(item_id=item.id, level=level) for item, level in zip(questionnaire.items, levels)]
    db.session.add(response)
    db.session.flush()
    return response


@pytest.fixture
def ratings(setting):
    """A walk-in 差评 at 10:30 Beijing time (overall item 2) with a comment, a fixed respondent's rating
    (its day only, overall 4) and a paper sheet without the overall item (mean 4.5 → 5)."""
    walk_in = _respond(setting, "nonfixed", [1, 3, 3, None, 2], datetime(YEAR, 3, 5, 2, 30), setting["window"],
                       comment=COMMENT)
    fixed = _respond(setting, "fixed", [5, 5, 4, 4, 4, 4], datetime(YEAR, 4, 1, 16, 0), channel="link")
    paper = _respond(setting, "nonfixed", [5, 4, None, None, None], datetime(YEAR, 6, 1, 1, 0), channel="paper")
    db.session.commit()
    return {"walk_in": walk_in, "fixed": fixed, "paper": paper}


def _export(runner, tmp_path, fmt="csv", year=YEAR):
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(args=["exchange", "export", "--year", str(year), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        assert text.startswith("\ufeff")
        return list(csv.DictReader(io.StringIO(text[1:])))
    return json.loads(text)["records"]


def _by_time(records):
    return {(r["rated_on"], r["rated_time"]): r for r in records}


def test_one_record_per_rating_with_nothing_that_leads_back(runner, tmp_path, ratings):
    records = _export(runner, tmp_path)
    assert len(records) == 3 and list(records[0]) == list(FIELDS)
    rows = _by_time(records)
    walk_in, fixed, paper = rows[("2024-03-05", "10:30:00")], rows[("2024-04-02", "")], rows[("2024-06-01", "09:00:00")]
    assert walk_in | {"rating_id": "?"} == {
        "rating_id": "?", "source": "xiaoneng", "unit_code": "A01", "window_code": "A01-W1", "matter_code": "",
        "case_number": "", "channel": "qr", "respondent_group": "nonfixed", "level": "2", "level_label": "不满意",
        "rated_on": "2024-03-05", "rated_time": "10:30:00", "bad_rating": "1", "handling_status": "kept_apart",
        "called_back_on": "", "rectified_on": ""}
    assert (fixed["window_code"], fixed["level"], fixed["bad_rating"], fixed["handling_status"]) == ("", "4", "0", "")
    assert paper["level"] == "5" and paper["channel"] == "paper"
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert not any(response.public_id in text for response in ratings.values()) and COMMENT not in text
    assert all(r["rating_id"].startswith("XN-") and len(r["rating_id"]) == 27 for r in records)
    assert [r["rating_id"] for r in _export(runner, tmp_path)] == [r["rating_id"] for r in records]  # stable


def test_json_carries_the_same_records(runner, tmp_path, ratings):
    as_csv = _export(runner, tmp_path)
    as_json = _export(runner, tmp_path, "json")
    assert [{k: str(v) for k, v in r.items()} for r in as_json] == as_csv
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert (document["format"], document["year"], document["fields"]) == ("xiaoneng-exchange", YEAR, list(FIELDS))


def _platform_file(tmp_path, records, name="platform.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"records": records}, ensure_ascii=False), encoding="utf-8")
    return path


GOOD = [
    {"rating_id": "P-0001", "unit_code": "A01", "window_code": "A01-W1", "channel": "app", "level": 2,
     "rated_on": "2024-05-06", "rated_time": "14:05:09", "handling_status": "rectified",
     "called_back_on": "2024-05-07", "rectified_on": "2024-05-20"},
    {"rating_id": "P-0002", "unit_code": "B01", "level": "5", "rated_on": "2024-07-01"},
]
BAD = [
    ({"rating_id": "P-0003", "unit_code": "Z99", "level": 5, "rated_on": "2024-01-02"}, "未知或已停用的单位代码"),
    ({"rating_id": "P-0004", "unit_code": "A01", "level": 7, "rated_on": "2024-01-02"}, "满意度等级须为5、4、3、2、1之一"),
    ({"rating_id": "P-0005", "unit_code": "A01", "level": 3, "rated_on": "2023-12-31"}, "评价日期不在2024年度"),
    ({"rating_id": "P-0006", "unit_code": "A01", "window_code": "B01-W1", "level": 3, "rated_on": "2024-02-02"},
     "不属于单位"),
    ({"rating_id": "P-0001", "unit_code": "A01", "level": 3, "rated_on": "2024-02-02"}, "文件中评价编号重复"),
    ({"rating_id": "XN-0123456789abcdef01234567", "unit_code": "A01", "level": 3, "rated_on": "2024-02-02"},
     "本系统测评产生的评价"),
    ({"unit_code": "A01", "level": 3, "rated_on": "2024-02-02"}, "缺少评价编号"),
    ({"rating_id": "P-0007", "unit_code": "A01", "level": 3, "rated_on": "2024-02-02", "rated_time": "25:00"},
     "rated_time 须为"),
    ("not an object", "记录须为对象"),
]


def _import(runner, path, *extra):
    return runner.invoke(args=["exchange", "import", str(path), "--year", str(YEAR), *extra])


def test_import_takes_good_records_and_says_why_it_refused_the_others(runner, tmp_path, setting):
    path = _platform_file(tmp_path, GOOD + [record for record, _reason in BAD])
    result = _import(runner, path, "--report", str(tmp_path / "refused.csv"))
    assert result.exit_code == 0, result.output
    assert "读取 11 条，导入 2 条，此前已导入 0 条，拒绝 9 条" in result.output
    refused = list(csv.DictReader(io.StringIO((tmp_path / "refused.csv").read_text(encoding="utf-8-sig"))))
    assert [row["line"] for row in refused] == [str(n) for n in range(3, 12)]
    for row, (_record, reason) in zip(refused, BAD):
        assert reason in row["reason"], row
    first = db.session.scalar(sa.select(PlatformRating).where(PlatformRating.rating_id == "P-0001"))
    response = first.response
    assert (response.channel, response.group, response.unit.code, response.window.code) == (
        "platform", "nonfixed", "A01", "A01-W1")
    assert response.submitted_at == datetime(2024, 5, 6, 6, 5, 9)  # 14:05:09 in Beijing
    assert [(a.item.dimension, a.level) for a in response.answers] == [("总体评价", 2)]
    assert (first.handling_status, str(first.called_back_on), str(first.rectified_on)) == (
        "rectified", "2024-05-07", "2024-05-20")
    again = _import(runner, path)
    assert "导入 0 条，此前已导入 2 条，拒绝 9 条" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRating)) == 2


def test_round_trip(runner, tmp_path, ratings):
    _import(runner, _platform_file(tmp_path, GOOD))
    exported = _export(runner, tmp_path, "json")
    platform = {r["rating_id"]: r for r in exported if r["source"] == "platform"}
    assert set(platform) == {"P-0001", "P-0002"} and len(exported) == 5
    first = platform["P-0001"]
    for name in ("unit_code", "window_code", "rated_on", "rated_time", "handling_status", "called_back_on",
                 "rectified_on"):
        assert first[name] == GOOD[0][name], name
    assert (first["level"], first["channel"], first["bad_rating"]) == (2, "platform", 1)
    assert platform["P-0002"]["rated_time"] == "00:00:00" and platform["P-0002"]["level"] == 5
    result = _import(runner, tmp_path / "out.json")
    assert "读取 5 条，导入 0 条，此前已导入 2 条，拒绝 3 条" in result.output
    assert result.output.count("本系统测评产生的评价") == 3


def test_an_imported_rating_scores_its_level(runner, tmp_path, setting, make):
    _import(runner, _platform_file(tmp_path, [GOOD[1]]))
    results, _hashes = compute_results(YEAR, current_scheme())
    row = next(u for u in results["units"] if u["unit_code"] == "B01")
    assert row["n_nonfixed"] == 1 and row["index"] == pytest.approx(1.0)


def test_bad_files_are_refused_whole(runner, tmp_path, setting):
    broken = tmp_path / "broken.csv"
    broken.write_bytes("rating_id,unit_code\nP-1,A01\n".encode())
    assert "缺少字段：level、rated_on" in _import(runner, broken).output
    broken.write_bytes(b"\xff\xfe\x00")
    assert "UTF-8" in _import(runner, broken).output
    odd = _platform_file(tmp_path, [], "odd.json")
    odd.write_text('{"records": 3}', encoding="utf-8")
    assert "records 数组" in _import(runner, odd).output
    assert "2025年度没有测评活动" in runner.invoke(args=["exchange", "import", str(_platform_file(tmp_path, GOOD)),
                                                    "--year", "2025"]).output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_the_page_exports_imports_and_reports(client, login, setting, ratings):
    login("statistician")
    page = client.get("/staff").text
    assert 'href="/admin/exchange/"' in page
    download = client.get(f"/admin/exchange/export?year={YEAR}&format=csv")
    assert download.status_code == 200 and download.mimetype == "text/csv" and "no-store" in download.headers["Cache-Control"]
    assert download.text.count("\r\n") == 4
    token = client.get("/admin/exchange/").text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    body = json.dumps({"records": GOOD + [BAD[0][0]]}).encode()
    answer = client.post("/admin/exchange/import", data={"csrf_token": token, "year": YEAR, "format": "json",
                                                         "file": (io.BytesIO(body), "platform.json")})
    assert answer.status_code == 200
    assert "导入 2 条" in answer.text and "第3条" in answer.text and "未知或已停用的单位代码：Z99" in answer.text
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["exchange.export", "exchange.import"]


def test_the_page_is_for_the_office_and_statisticians(client, login, setting):
    login("liaison", unit=setting["unit"])
    assert client.get("/admin/exchange/").status_code == 403
    assert client.get(f"/admin/exchange/export?year={YEAR}&format=csv").status_code == 403
