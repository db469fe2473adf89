"""The admins' audit page: newest first, filters, pages, the chain's status; nobody else sees it."""
import pytest
import sqlalchemy as sa
from datetime import datetime

from app.audit import operations as audit
from app.kernel.extensions import db


def _entries(make, n=3):
    user = make.user(role="handler", username="zhangsan")
    unit = make.unit(name="省测试厅")
    for i in range(n):
        audit.record("unit.edit", unit, actor=user, details={"name": unit.name, "count": i})
    audit.record("user.disable", user, actor=None)
    return user, unit


@pytest.mark.parametrize("role", ["statistician", "handler", "liaison"])
def test_only_admins_see_the_log(client, login, role):
    login(role)
    assert client.get("/admin/audit/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_log_lists_newest_first_with_the_chain_status(client, login, make):
    _entries(make)
    login("admin")
    page = client.get("/admin/audit/").data.decode()
    assert "审计日志完整：共 5 条" in page
    table = page[page.index("<tbody>"):]
    assert table.index("<td>登录</td>") < table.index("停用账号") < table.index("修改被考核单位")
    assert "省测试厅" in table and "名称：" in table and "命令行" in table


def test_filters_by_who_action_object_and_day(client, login, make, monkeypatch):
    monkeypatch.setattr(audit, "utcnow", lambda: datetime(2026, 3, 1, 23, 30))
    user, unit = _entries(make)
    login("admin")
    by_who = client.get("/admin/audit/?who=zhang").data.decode()
    assert "共 3 条" in by_who
    by_action = client.get("/admin/audit/?action=user.disable").data.decode()
    assert "共 1 条" in by_action
    by_object = client.get(f"/admin/audit/?object_type=units&object_id={unit.id}").data.decode()
    assert "共 3 条" in by_object
    assert "共 0 条" in client.get("/admin/audit/?until=2000-01-01").data.decode()
    # Days are Beijing days: entries made at 23:30 UTC on 1 March belong to 2 March.
    assert "共 0 条" in client.get("/admin/audit/?since=2026-03-01&until=2026-03-01").data.decode()
    assert "共 5 条" in client.get("/admin/audit/?since=2026-03-02&until=2026-03-02").data.decode()
    assert "共 0 条" in client.get("/admin/audit/?since=2026-03-03").data.decode()


def test_a_bad_filter_is_refused_in_chinese(client, login):
    login("admin")
    response = client.get("/admin/audit/?since=2026-13-40&who=%00x")
    page = response.data.decode()
    assert response.status_code == 400 and "不可见的控制字符" in page and "共 0 条" in page


def test_pages_of_fifty(client, login, make):
    unit = make.unit()
    for i in range(60):
        audit.record("unit.edit", unit, actor=None, details={"count": i})
    login("admin")
    first = client.get("/admin/audit/?action=unit.edit").data.decode()
    assert "第 1 / 2 页" in first and "page=2" in first and "action=unit.edit" in first
    second = client.get("/admin/audit/?action=unit.edit&page=2").data.decode()
    assert "第 2 / 2 页" in second and second.count("<td class=\"num\">") == 10


def test_a_broken_chain_shows_on_the_page(client, login, make):
    _entries(make)
    login("admin")
    _unprotect()
    db.session.execute(sa.text("UPDATE audit_log SET created_at = :moment WHERE id = 2"),
                       {"moment": datetime(2000, 1, 1)})
    page = client.get("/admin/audit/").data.decode()
    assert "审计日志已被改动：第2条" in page


def test_the_page_checks_the_latest_entries_and_all_on_request(client, login, make, monkeypatch):
    from app.audit import views

    monkeypatch.setattr(views, "QUICK_CHECK", 2)
    _entries(make)
    login("admin")
    _unprotect()
    db.session.execute(sa.text("UPDATE audit_log SET details = '{}' WHERE id = 1"))
    quick = client.get("/admin/audit/").data.decode()
    assert "审计日志最近 2 条完整：共 5 条" in quick and "full=1" in quick
    full = client.get("/admin/audit/?full=1").data.decode()
    assert "审计日志已被改动：第1条的内容与其校验值不符" in full


def _unprotect():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        db.session.execute(sa.text("DROP TRIGGER audit_log_no_update"))
