"""效能告诫 as a workflow: a numbered 效能告诫书, the level's deduction in the ledger, revocation with a reason."""
import io
import re

import pytest
import sqlalchemy as sa

from app.documents.models import IssuedDocument
from app.kernel.extensions import db
from stats.web.models import Adjustment, Admonition
from stats.web.operations import StatsError, revoke_adjustment
from stats.web.runs import create_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR

pdfplumber = pytest.importorskip("pdfplumber")


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")


def _issue(client, unit, level="city_admonition", facts="窗口工作人员多次推诿群众办事诉求", **extra):
    page = client.get(f"/stats/admonitions/?year={YEAR}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "unit_code": unit.code, "level": level, "facts": facts,
            "official": "", "case_numbers": "", "dated": "2026-12-01", **extra}
    return client.post(f"/stats/admonitions/?year={YEAR}", data=data)


def _text(data):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def _total(run, code):
    return next(row for row in run.results["totals"] if row["unit_code"] == code)


def test_issuing_numbers_the_letter_and_deducts_the_levels_points(client, login, scored_units):
    admin = login("admin")
    unit = scored_units[0]
    response = _issue(client, unit, official="张某（窗口负责人）", case_numbers="20240301000001，20240302000002")
    assert response.status_code == 303
    admonition = db.session.scalars(sa.select(Admonition)).one()
    line = admonition.adjustment
    assert (line.amount, line.origin, line.year, line.created_by_id) == (-5.0, "admonition", YEAR, admin.id)
    assert line.evidence == "皖效告〔2026〕1号" == admonition.document.code
    text = _text(admonition.document.pdf)
    assert "效能告诫书" in text and "皖效告〔2026〕1号" in text and f"{unit.name}：" in text
    assert "窗口工作人员多次推诿群众办事诉求" in text and "20240301000001、20240302000002" in text
    assert "决定给予你单位张某（窗口负责人）效能告诫" in text and f"扣减你单位{YEAR}年度机关效能建设考核5分" in text
    assert "2026年12月1日" in text
    assert _total(create_run(YEAR, admin, "default"), unit.code)["deduction"] == 5


def test_each_level_takes_its_points_from_the_scheme(client, login, scored_units):
    login("admin")
    for level, points in (("county_admonition", 2), ("county_criticism", 1), ("city_criticism", 3)):
        assert _issue(client, scored_units[1], level=level).status_code == 303
        assert db.session.scalars(sa.select(Adjustment).order_by(Adjustment.id.desc())).first().amount == -points
    titles = db.session.scalars(sa.select(IssuedDocument.title).order_by(IssuedDocument.number)).all()
    assert titles[0].startswith("效能告诫书") and titles[1].startswith("关于给予通报批评的决定")


def test_revoking_needs_a_reason_and_revokes_the_deduction(client, login, scored_units):
    admin = login("admin")
    _issue(client, scored_units[0])
    admonition = db.session.scalars(sa.select(Admonition)).one()
    page = client.get(f"/stats/admonitions/?year={YEAR}").get_data(as_text=True)
    url = f"/stats/admonitions/{admonition.id}/revoke"
    assert client.post(url, data={"csrf_token": csrf_from(page), "reason": " "}).status_code == 303
    assert admonition.revoked_at is None and admonition.adjustment.revoked_at is None
    client.post(url, data={"csrf_token": csrf_from(page), "reason": "经复核，事实认定有误"})
    assert admonition.revoked_by_id == admin.id and admonition.adjustment.revoked_at is not None
    assert "问责撤销：经复核，事实认定有误" == admonition.adjustment.revoke_reason
    assert _total(create_run(YEAR, admin, "default"), scored_units[0].code)["deduction"] == 0
    assert db.session.scalar(sa.select(sa.func.count(IssuedDocument.id))) == 1  # the issued letter stays


def test_the_ledger_cannot_revoke_an_admonitions_line_on_its_own(client, login, scored_units):
    admin = login("admin")
    _issue(client, scored_units[0])
    line = db.session.scalars(sa.select(Adjustment)).one()
    with pytest.raises(StatsError, match="效能告诫"):
        revoke_adjustment(line, admin, "想撤销")


@pytest.mark.parametrize("field, value, message", [
    ("level", "nonsense", "不是有效的选择"), ("facts", "", "请写明查明的事实"), ("case_numbers", "abc", "投诉件编号应为数字")])
def test_bad_input_is_refused_and_nothing_is_issued(client, login, scored_units, field, value, message):
    login("admin")
    response = _issue(client, scored_units[0], **{field: value})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(IssuedDocument.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Adjustment.id))) == 0


@pytest.mark.parametrize("role", ["statistician", "handler", "liaison"])
def test_only_the_office_issues(client, login, scored_units, role):
    login(role, unit=scored_units[0] if role == "liaison" else None)
    assert client.get("/stats/admonitions/").status_code == 403
