"""The 考核结果通报 as a 公文 (GB/T 9704): layout, wording written from the run, numbers from the register."""
import hashlib
import io
import re

import pytest

from stats.web.runs import create_run, publish_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR

pdfplumber = pytest.importorskip("pdfplumber")
MM = 72 / 25.4


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    """A configured public address: no 样张 mark across the text."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")


@pytest.fixture
def run(scored_units, staff):
    return create_run(YEAR, staff, "default")


@pytest.fixture
def published(run, staff):
    publish_run(run, staff, confirm_missing_parts=True, confirm_unranked=True)
    return run


def _pdf(data):
    return pdfplumber.open(io.BytesIO(data))


def _text(pdf):
    return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _issue(client, run, day="2026-12-01"):
    token = csrf_from(client.get("/stats/").data)  # the new-run form carries one
    return client.post(f"/stats/runs/{run.id}/notice/issue", data={"dated": day, "csrf_token": token})


def test_the_draft_has_no_number_and_says_it_is_a_draft(client, run):
    response = client.get(f"/stats/runs/{run.id}/notice.pdf")
    assert response.status_code == 200
    text = _text(_pdf(response.data))
    assert "草稿" in text and "〔" not in text
    assert "关于2024年度机关效能建设考核结果的通报" in text


def test_the_body_is_written_from_the_run_in_plain_official_chinese(client, run):
    text = _text(_pdf(client.get(f"/stats/runs/{run.id}/notice.pdf").data))
    flat = re.sub(r"\s+", "", text)
    assert "本次考核共有3个单位参加" in flat
    assert "（一）第一类：综合部门" in flat and "名次依次为：乙厅（第1名）、甲厅（第2名）" in flat
    assert "丙局因没有有效的服务对象测评答卷，未参与本年度排名" in flat
    assert "省直各单位，中央驻皖各单位，各金融服务机构：" in flat
    for program_word in ("no_data", "small_sample", "第1次计分", "默认方案", "·", "None"):
        assert program_word not in flat
    assert not re.search(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]", flat)


def test_issuing_takes_the_next_number_once_and_registers_the_exact_pdf(client, published, staff):
    from app.documents.models import IssuedDocument
    from app.kernel.extensions import db

    response = _issue(client, published)
    assert response.status_code == 303
    document = db.session.scalars(db.select(IssuedDocument)).one()
    assert document.code == "皖效办〔2026〕1号" and document.issued_by_id == staff.id
    assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()
    text = re.sub(r"\s+", "", _text(_pdf(document.pdf)))
    assert "皖效办〔2026〕1号" in text and "2026年12月1日" in text and "草稿" not in text
    served = client.get(f"/stats/runs/{published.id}/notice.pdf", follow_redirects=True)
    assert served.data == document.pdf
    again = _issue(client, published, "2026-12-02")
    assert again.status_code == 303 and db.session.scalar(db.select(db.func.count(IssuedDocument.id))) == 1
    register = client.get("/admin/documents/").get_data(as_text=True)
    assert "皖效办〔2026〕1号" in register and document.sha256[:16] in register


def test_numbers_run_on_within_a_year_and_restart_in_the_next(app, staff):
    from app.documents.operations import take_number

    assert [take_number("皖效办", 2026) for _ in range(3)] == [1, 2, 3]
    assert take_number("皖效办", 2027) == 1 and take_number("皖效测", 2026) == 1


def test_an_unpublished_run_cannot_be_issued(client, run):
    from app.documents.models import IssuedDocument
    from app.kernel.extensions import db

    assert _issue(client, run).status_code == 303
    assert db.session.scalar(db.select(db.func.count(IssuedDocument.id))) == 0
    assert "只有已发布的计分结果才能印发通报" in client.get(f"/stats/runs/{run.id}").get_data(as_text=True)


def test_layout_follows_gb_t_9704(client, published):
    _issue(client, published)
    pdf = _pdf(client.get(f"/stats/runs/{published.id}/notice.pdf", follow_redirects=True).data)
    first = pdf.pages[0]
    assert (round(first.width, 1), round(first.height, 1)) == (595.3, 841.9)
    red = [e for e in first.lines + first.rects if _is_red(_colour(e)) and e["width"] > 100 * MM]
    assert len(red) == 1, "one red rule under the 发文字号"
    rule = red[0]
    assert abs(rule["x0"] - 28 * MM) < 1.5 and abs(rule["width"] - 156 * MM) < 1.5
    number = next(w for w in first.extract_words() if "号" in w["text"] and "〔" in w["text"])
    assert 0 < rule["top"] - number["bottom"] < 12 * MM
    mark = [c for c in first.chars if c["text"] == "文" and _is_red(c.get("non_stroking_color"))]
    assert mark, "the 发文机关标志 is red"
    body = [c for c in first.chars if c["top"] > rule["bottom"] + 40 * MM and c["text"] not in "— 0123456789"]
    assert body and all(abs(c["size"] - 16) < 0.6 for c in body[:40]), "body in 3号 (16 pt)"
    assert min(c["x0"] for c in body) >= 28 * MM - 1 and max(c["x1"] for c in body) <= (28 + 156) * MM + 1
    footer = " ".join(w["text"] for w in first.extract_words() if w["top"] > 297 * MM - 35 * MM)
    assert re.search(r"—\s*1\s*—", footer)
    last = re.sub(r"\s+", "", pdf.pages[-1].extract_text())
    assert "抄送：" in last and "2026年12月1日印发" in last


def _colour(shape):
    return shape.get("non_stroking_color") if shape.get("fill") else shape.get("stroking_color")


def _is_red(colour):
    return bool(colour) and len(colour) == 3 and colour[0] > 0.8 and colour[1] < 0.2 and colour[2] < 0.2


def test_the_command_line_renders_a_numbered_notice_from_a_score_result(runner, tmp_path):
    from tests.stats_web.test_cli import RESPONSES_CSV, UNITS_CSV

    (tmp_path / "UNITS.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "RESPONSES.csv").write_text(RESPONSES_CSV, encoding="utf-8")
    scored = runner.invoke(args=["stats", "score", "--units", str(tmp_path / "UNITS.csv"), "--responses",
                                 str(tmp_path / "RESPONSES.csv"), "--out", str(tmp_path / "RESULT.json")])
    assert scored.exit_code == 0, scored.output
    args = ["notices", "ranking", "--result", str(tmp_path / "RESULT.json"), "--date", "2026-12-01",
            "--number", "皖效办〔2026〕3号", "--out", str(tmp_path / "NOTICE.pdf")]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "--units" in refused.output and not (tmp_path / "NOTICE.pdf").exists()
    done = runner.invoke(args=[*args, "--units", str(tmp_path / "UNITS.csv"), "--year", "2026"])
    assert done.exit_code == 0, done.output
    text = re.sub(r"\s+", "", _text(_pdf((tmp_path / "NOTICE.pdf").read_bytes())))
    assert "皖效办〔2026〕3号" in text and "关于2026年度机关效能建设考核结果的通报" in text
    assert "甲厅" in text and "乙厅" in text and "2026年12月1日" in text


def test_the_command_line_refuses_a_broken_result_file(runner, tmp_path):
    (tmp_path / "RESULT.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["notices", "ranking", "--result", str(tmp_path / "RESULT.json"),
                                 "--date", "2026-12-01", "--out", str(tmp_path / "NOTICE.pdf")])
    assert result.exit_code != 0 and "无法读取" in result.output
