"""Survey admin: fixed respondents, their CSV import, and one-time invitation links."""
import base64
import csv
import io
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys import admin_operations as staff_ops
from surveys import operations as ops
from surveys.models import FixedRespondent, Invitation, Response
from tests.conftest import csrf_from


@pytest.fixture
def unit(make):
    return make.unit(code="R101", name="省固定厅")


def _upload(client, unit, content):
    token = csrf_from(client.get(f"/admin/surveys/units/{unit.code}/respondents").data)
    data = {"csrf_token": token, "file": (io.BytesIO(content), "list.csv")}
    return client.post(f"/admin/surveys/units/{unit.code}/respondents/import", data=data,
                       content_type="multipart/form-data")


def _respondents(unit):
    stmt = sa.select(FixedRespondent).where(FixedRespondent.unit_id == unit.id).order_by(FixedRespondent.id)
    return db.session.scalars(stmt).all()


@pytest.mark.parametrize("role", ["liaison", "handler", "statistician"])
def test_only_admin_sees_respondents(client, login, unit, role):
    login(role)
    assert client.get(f"/admin/surveys/units/{unit.code}/respondents").status_code == 403
    token = csrf_from(client.get("/auth/password").data)  # a valid token, so the role check is what refuses
    response = client.post(f"/admin/surveys/units/{unit.code}/invitations", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_anonymous_is_sent_to_login(client, unit):
    response = client.get(f"/admin/surveys/units/{unit.code}/respondents")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_import_with_or_without_bom(client, login, unit, bom):
    login("admin")
    content = bom + "name,kind,contact\n合肥某某科技有限公司,enterprise,13812345678\n某区商会,机关团体,\n王某,person,wang@example.cn\n".encode()
    response = _upload(client, unit, content)
    assert response.status_code == 302
    assert [(r.name, r.kind, r.contact) for r in _respondents(unit)] == [
        ("合肥某某科技有限公司", "enterprise", "13812345678"), ("某区商会", "body", ""), ("王某", "person", "wang@example.cn")]
    page = client.get(f"/admin/surveys/units/{unit.code}/respondents").data.decode()
    assert "新增 3" in page and "合肥某某科技有限公司" in page
    assert "13812345678" not in page and "138****5678" in page
    assert "wang@example.cn" not in page and "w***@example.cn" in page


def test_reimport_updates_by_name(client, login, unit):
    login("admin")
    _upload(client, unit, "name,kind,contact\n甲公司,enterprise,1\n".encode())
    assert _upload(client, unit, "name,kind,contact\n甲公司,body,2\n乙公司,enterprise,\n".encode()).status_code == 302
    assert [(r.name, r.kind, r.contact) for r in _respondents(unit)] == [("甲公司", "body", "2"), ("乙公司", "enterprise", "")]


@pytest.mark.parametrize("content, message", [
    ("name,kind,contact\n甲公司,enterprise,\n乙公司,company,\n", "第3行：类型应为"),
    ("name,kind,contact\n甲公司,enterprise,\n,person,\n", "第3行：名称不能为空"),
    ("name,kind,contact\n甲公司,enterprise,\n甲公司,body,\n", "第3行：“甲公司”重复"),
    ("名称,类型\n甲公司,enterprise\n", "缺少列"),
    ("name,kind,contact\n", "没有服务对象"),
    ("name,kind,contact\n" + "长" * 201 + ",person,\n", "第2行：名称不能超过200字"),
])
def test_bad_rows_are_named_and_nothing_is_stored(client, login, unit, content, message):
    login("admin")
    response = _upload(client, unit, content.encode())
    page = response.data.decode()
    assert response.status_code == 400 and message in page and "未保存任何数据" in page
    assert _respondents(unit) == []


def test_non_utf8_file_is_refused(client, login, unit):
    login("admin")
    response = _upload(client, unit, "name,kind,contact\n甲公司,enterprise,\n".encode("gbk"))
    assert response.status_code == 400 and "UTF-8" in response.data.decode()
    assert _respondents(unit) == []


def test_missing_file_is_refused(client, login, unit):
    login("admin")
    token = csrf_from(client.get(f"/admin/surveys/units/{unit.code}/respondents").data)
    response = client.post(f"/admin/surveys/units/{unit.code}/respondents/import", data={"csrf_token": token})
    assert response.status_code == 400 and "请选择" in response.data.decode()


@pytest.mark.parametrize("contact, masked", [
    ("13812345678", "138****5678"), ("0551-62345678", "055****5678"), ("zhang@example.cn", "z***@example.cn"),
    ("张先生", "张**"), ("", ""),
])
def test_mask_contact(contact, masked):
    assert staff_ops.mask_contact(contact) == masked


def _issue(client, unit, campaign, reissue=False):
    token = csrf_from(client.get(f"/admin/surveys/units/{unit.code}/respondents").data)
    data = {"csrf_token": token, "campaign": str(campaign.id), **({"reissue": "y"} if reissue else {})}
    return client.post(f"/admin/surveys/units/{unit.code}/invitations", data=data)


def _csv_links(page):
    """The name,link rows of the page's one-time CSV download."""
    uri = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page).group(1)
    text = base64.b64decode(unquote(uri)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "link"]
    return dict(rows[1:])


def test_issue_shows_links_once_and_stores_only_hashes(client, login, make, unit):
    campaign = make.campaign()
    first, second = make.fixed_respondent(unit, "甲公司"), make.fixed_respondent(unit, "=乙公司")
    login("admin")
    response = _issue(client, unit, campaign)
    page = response.data.decode()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    links = _csv_links(page)
    assert set(links) == {"甲公司", "'=乙公司"}, "a leading = is defused for spreadsheets"
    tokens = {name: re.fullmatch(r"http://localhost/i/([A-Za-z0-9_-]{32})", link).group(1) for name, link in links.items()}
    assert page.count('src="data:image/png;base64,') == 2 and links["甲公司"] in page
    stored = {i.fixed_respondent_id: i.token_hash for i in db.session.scalars(sa.select(Invitation))}
    assert stored == {first.id: ops.token_hash(tokens["甲公司"]), second.id: ops.token_hash(tokens["'=乙公司"])}
    listing = client.get(f"/admin/surveys/units/{unit.code}/respondents").data.decode()
    assert all(token not in listing for token in tokens.values())
    assert listing.count("已邀请") == 2
    again = _issue(client, unit, campaign)
    assert again.status_code == 302
    assert "没有需要发放的邀请" in client.get(again.headers["Location"]).data.decode()
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 2


def test_status_shows_used_after_the_respondent_answers(client, login, make, unit):
    campaign = make.campaign()
    make.fixed_respondent(unit, "甲公司")
    login("admin")
    link = _csv_links(_issue(client, unit, campaign).data.decode())["甲公司"]
    invitation = ops.find_invitation(link.rsplit("/", 1)[1])
    ops.submit_invited_response(invitation, {item.id: 5 for item in campaign.fixed_questionnaire.items}, "", None)
    ops.store_pending_responses()
    page = client.get(f"/admin/surveys/units/{unit.code}/respondents?campaign={campaign.id}").data.decode()
    assert "已答卷" in page and "已邀请" not in page.split("<tbody>")[1]
    response = db.session.scalars(sa.select(Response)).one()
    assert response.public_id not in page


def test_reissue_replaces_unused_tokens_only(client, login, make, unit):
    campaign = make.campaign()
    make.fixed_respondent(unit, "甲公司")
    make.fixed_respondent(unit, "乙公司")
    login("admin")
    old = _csv_links(_issue(client, unit, campaign).data.decode())
    used = ops.find_invitation(old["乙公司"].rsplit("/", 1)[1])
    ops.submit_invited_response(used, {item.id: 5 for item in campaign.fixed_questionnaire.items}, "", None)
    new = _csv_links(_issue(client, unit, campaign, reissue=True).data.decode())
    assert list(new) == ["甲公司"] and new["甲公司"] != old["甲公司"]
    with pytest.raises(ops.SurveyError):
        ops.find_invitation(old["甲公司"].rsplit("/", 1)[1])
    assert ops.find_invitation(new["甲公司"].rsplit("/", 1)[1]).fixed_respondent.name == "甲公司"


def test_public_base_url_is_used_for_links(app, client, login, make, unit):
    campaign = make.campaign()
    make.fixed_respondent(unit, "甲公司")
    login("admin")
    app.config["PUBLIC_BASE_URL"] = "https://xn.example.gov.cn/pingyi/"
    try:
        links = _csv_links(_issue(client, unit, campaign).data.decode())
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert re.fullmatch(r"https://xn\.example\.gov\.cn/pingyi/i/[A-Za-z0-9_-]{32}", links["甲公司"])


def test_issue_needs_a_campaign(client, login, unit, make):
    make.fixed_respondent(unit, "甲公司")
    login("admin")
    token = csrf_from(client.get(f"/admin/surveys/units/{unit.code}/respondents").data)
    response = client.post(f"/admin/surveys/units/{unit.code}/invitations", data={"csrf_token": token, "campaign": "999"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_overview_counts_invitations(client, login, make, unit):
    campaign = make.campaign()
    make.fixed_respondent(unit, "甲公司")
    make.fixed_respondent(unit, "乙公司")
    ops.issue_invitations(campaign, unit)
    login("admin")
    page = client.get("/admin/surveys/units").data.decode()
    row = re.search(r"R101 省固定厅.*?</tr>", page, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2", "0"]
