"""Print runs: every window's poster (A4, A5) and invitation letters with fresh tokens, from the command
line and the respondents page; each QR code read back from the rendered page."""
import io
import re

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys import operations as ops
from surveys.models import Invitation
from tests.conftest import csrf_from

pdfplumber = pytest.importorskip("pdfplumber")
zxingcpp = pytest.importorskip("zxingcpp")
BASE = "https://xn.example.gov.cn"


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)


def _pages(data):
    """[(text without spaces, [decoded QR texts], (width, height))] per page."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [(re.sub(r"\s+", "", page.extract_text() or ""),
                 [r.text for r in zxingcpp.read_barcodes(page.to_image(resolution=110).original)],
                 (round(page.width, 1), round(page.height, 1))) for page in pdf.pages]


@pytest.mark.parametrize("size, points", [("A4", (595.3, 841.9)), ("A5", (419.5, 595.3))])
def test_posters_of_every_window_in_one_pdf(runner, make, tmp_path, size, points):
    unit = make.unit(code="P201", name="省海报测试厅")
    make.window(unit=unit, code="P201-W1", name="一号窗口")
    make.window(unit=unit, code="P201-W2", name="二号窗口")
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["notices", "posters", "--unit", "P201", "--size", size, "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = _pages(out.read_bytes())
    assert [qr for _t, qr, _s in pages] == [[f"{BASE}/s/P201-W1"], [f"{BASE}/s/P201-W2"]]
    assert {s for _t, _q, s in pages} == {points} and "一号窗口" in pages[0][0] and "二号窗口" in pages[1][0]


def test_posters_refuse_an_unknown_unit(runner, tmp_path):
    result = runner.invoke(args=["notices", "posters", "--unit", "NOPE", "--out", str(tmp_path / "p.pdf")])
    assert result.exit_code != 0 and "没有代码为 NOPE 的单位" in result.output


@pytest.fixture
def respondents(make):
    campaign = make.campaign()
    unit = make.unit(code="P301", name="省邀请测试局")
    people = [make.fixed_respondent(unit=unit, name=name) for name in ("甲公司", "乙公司", "丙协会")]
    return campaign, unit, people


def test_invitation_letters_carry_fresh_working_tokens(app, runner, respondents, tmp_path):
    campaign, unit, people = respondents
    (_, old_token), *_ = ops.issue_invitations(campaign, unit)
    db.session.commit()
    out = tmp_path / "letters.pdf"
    result = runner.invoke(args=["notices", "invitations", "--campaign", str(campaign.id), "--unit", "P301",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = _pages(out.read_bytes())
    assert [name in text for (text, _q, _s), name in zip(pages, ("甲公司", "乙公司", "丙协会"))] == [True] * 3
    for text, _qr, _size in pages:
        assert "省邀请测试局" in text and f"{campaign.closes_on.year}年{campaign.closes_on.month}月" in text
        assert "隐私承诺" in text
    links = [qr[0] for _t, qr, _s in pages]
    assert all(link.startswith(f"{BASE}/i/") for link in links) and len(set(links)) == 3
    client = app.test_client()
    client.get(f"/i/{old_token}")
    stale = client.get("/invite")
    assert stale.status_code == 404 and "邀请码无效" in stale.get_data(as_text=True)
    fresh = links[0].removeprefix(BASE)
    assert client.get(fresh).status_code == 302 and client.get("/invite").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 3


def test_the_respondents_page_prints_the_letters(client, login, respondents):
    campaign, unit, _people = respondents
    login("admin")
    page = client.get(f"/admin/surveys/units/{unit.code}/respondents").get_data(as_text=True)
    assert "打印邀请函" in page
    response = client.post(f"/admin/surveys/units/{unit.code}/invitations/letters.pdf",
                           data={"csrf_token": csrf_from(page), "campaign": str(campaign.id)})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(_pages(response.data)) == 3 and response.headers["Cache-Control"] == "no-store"
