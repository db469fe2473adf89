"""Registry admin: units, CSV import, service windows, staff accounts."""
import io
import re

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import Unit, User, Window
from tests.conftest import csrf_from

PASSWORD = "a-long-test-password"


def _post(client, url, data, form_url=None, **kwargs):
    """Post `data` with a CSRF token taken from `form_url` (default: the same page)."""
    token = csrf_from(client.get(form_url or url).data)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


@pytest.mark.parametrize("url", ["/admin/units", "/admin/units/new", "/admin/users", "/admin/users/new"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["liaison", "handler", "statistician"])
@pytest.mark.parametrize("url", ["/admin/units", "/admin/units/new", "/admin/users", "/admin/users/new"])
def test_other_roles_are_refused(client, login, role, url):
    login(role)
    assert client.get(url).status_code == 403


def test_create_unit_and_refuse_duplicates(client, login):
    login("admin")
    response = _post(client, "/admin/units/new", {"code": "Z101", "name": "省新设厅", "category": "2", "active": "y"})
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "Z101"))
    assert (unit.name, unit.category, unit.active) == ("省新设厅", 2, True)
    again = _post(client, "/admin/units/new", {"code": "Z102", "name": "省新设厅", "category": "2"})
    assert again.status_code == 409 and "已被其他单位使用" in again.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.code == "Z102")) == 0


def test_unit_category_must_be_in_the_scheme(client, login):
    login("admin")
    response = _post(client, "/admin/units/new", {"code": "Z103", "name": "某单位", "category": "7"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "Z103")) is None


def test_edit_unit_deactivates_it(client, login, make):
    login("admin")
    unit = make.unit(name="省旧厅", category=1)
    url = f"/admin/units/{unit.id}"
    page = client.get(url).data.decode()
    assert "省旧厅" in page and re.search(r"<option selected value=\"1\">", page)
    response = _post(client, url, {"code": unit.code, "name": "省旧厅（已合并）", "category": "1"})
    assert response.status_code == 302
    db.session.refresh(unit)
    assert unit.name == "省旧厅（已合并）" and unit.active is False


def _upload(client, text, encoding="utf-8"):
    token = csrf_from(client.get("/admin/units").data)
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode(encoding)), "units.csv")}
    return client.post("/admin/units/import", data=data, content_type="multipart/form-data")


def test_units_csv_import(client, login):
    login("admin")
    response = _upload(client, "\ufeffcode,name,category\nY101,导入单位甲,1\nY401,导入银行,4\n")
    assert response.status_code == 302
    assert "新增 2" in client.get("/admin/units").data.decode()
    names = set(db.session.scalars(sa.select(Unit.name).where(Unit.code.in_(["Y101", "Y401"]))))
    assert names == {"导入单位甲", "导入银行"}


@pytest.mark.parametrize("text, message", [
    ("code,name,category\nY201,甲,1\nY202,乙,x\n", "第3行"),
    ("code,name,category\nY201,甲,7\n", "第2行：考核方案中没有第7类"),
    ("code,name\nY201,甲\n", "缺少列"),
    ("code,name,category\nY201,甲,1\nY202,甲,2\n", "第3行：单位名称“甲”已用于单位代码 Y201"),
    ("code,name,category\nY201,省已有厅,1\n", "第2行：单位名称“省已有厅”已用于单位代码 Y999"),
])
def test_bad_units_csv_names_the_row_and_stores_nothing(client, login, make, text, message):
    make.unit(code="Y999", name="省已有厅")
    login("admin")
    response = _upload(client, text)
    assert response.status_code == 400
    assert message in response.data.decode() and "未保存任何单位" in response.data.decode()
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "Y201")) is None


def test_units_csv_must_be_utf8(client, login):
    login("admin")
    response = _upload(client, "code,name,category\nY301,单位,1\n", encoding="gbk")
    assert response.status_code == 400 and "UTF-8" in response.data.decode()


def test_window_code_is_suggested_and_unique(client, login, make):
    login("admin")
    unit = make.unit(code="X101")
    make.window(unit=unit, code="X101-W1")
    url = f"/admin/units/{unit.id}/windows/new"
    assert 'value="X101-W2"' in client.get(url).data.decode()
    created = _post(client, url, {"code": "X101-W2", "name": "不动产登记窗口", "location": "一楼", "active": "y"})
    assert created.status_code == 302
    window = db.session.scalar(sa.select(Window).where(Window.code == "X101-W2"))
    assert (window.unit_id, window.name, window.location, window.active) == (unit.id, "不动产登记窗口", "一楼", True)
    clash = _post(client, url, {"code": "X101-W1", "name": "重复", "active": "y"})
    assert clash.status_code == 409 and "已被使用" in clash.data.decode()
    bad = _post(client, url, {"code": "X101 W9/..", "name": "坏代码"})
    assert bad.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Window.id)).where(Window.unit_id == unit.id)) == 2


def test_deactivated_window_no_longer_takes_ratings(client, login, make):
    make.campaign()
    window = make.window(code="X201-W1")
    assert client.get("/s/X201-W1").status_code == 200
    login("admin")
    response = _post(client, f"/admin/windows/{window.id}", {"code": "X201-W1", "name": window.name})
    assert response.status_code == 302
    db.session.refresh(window)
    assert window.active is False
    assert client.get("/s/X201-W1").status_code == 404


def _sign_in_again(client, username, password):
    """Sign out the admin, then try `username` on the same client (tests share one `g`, and so one CSRF token)."""
    _post(client, "/auth/logout", {}, form_url="/admin/users")
    return _post(client, "/auth/login", {"username": username, "password": password}, form_url="/auth/login")


def _create_user(client, **data):
    return _post(client, "/admin/users/new", data)


def _password_on(page):
    return re.search(r"一次性密码：<code[^>]*>([^<]+)</code>", page).group(1)


def test_create_liaison_shows_password_once(client, login, make):
    unit = make.unit()
    login("admin")
    response = _create_user(client, username="li.ming", display_name="李明", role="liaison", unit=unit.code)
    page = response.data.decode()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = _password_on(page)
    user = db.session.scalar(sa.select(User).where(User.username == "li.ming"))
    assert (user.role, user.unit_id, user.must_change_password) == ("liaison", unit.id, True)
    assert password not in user.password_hash and user.check_password(password)
    assert password not in client.get("/admin/users").data.decode()
    signed_in = _sign_in_again(client, "li.ming", password)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/auth/password")


@pytest.mark.parametrize("data, status, message", [
    ({"username": "lx", "role": "handler"}, 400, "3至64"),
    ({"username": "liaison.nounit", "role": "liaison"}, 400, "须选择所属单位"),
    ({"username": "bad name!", "role": "handler"}, 400, "用户名只能用"),
    ({"username": "x", "role": "superuser"}, 400, ""),
])
def test_bad_user_is_refused(client, login, data, status, message):
    login("admin")
    response = _create_user(client, **data)
    assert response.status_code == status and message in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_duplicate_username_is_refused(client, login, make):
    make.user("handler", username="wang")
    login("admin")
    response = _create_user(client, username="wang", role="handler")
    assert response.status_code == 409 and "已存在" in response.data.decode()


def test_handler_is_created_without_unit(client, login, make):
    unit = make.unit()
    login("admin")
    assert _create_user(client, username="handler.zhao", role="handler", unit=unit.code).status_code == 200
    user = db.session.scalar(sa.select(User).where(User.username == "handler.zhao"))
    assert user.unit_id is None and user.role == "handler"


def test_deactivate_and_reactivate_user(client, login, make):
    target = make.user("handler", username="zhou", password=PASSWORD)
    login("admin")
    response = _post(client, f"/admin/users/{target.id}/active", {"active": "0"}, form_url="/admin/users")
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.active is False
    login("admin")
    _post(client, f"/admin/users/{target.id}/active", {"active": "1"}, form_url="/admin/users")
    db.session.refresh(target)
    assert target.active is True
    assert _sign_in_again(client, "zhou", PASSWORD).status_code == 302


def test_deactivated_user_cannot_sign_in(client, login, make):
    target = make.user("handler", username="sun", password=PASSWORD)
    login("admin")
    _post(client, f"/admin/users/{target.id}/active", {"active": "0"}, form_url="/admin/users")
    assert _sign_in_again(client, "sun", PASSWORD).status_code == 401


def test_admin_cannot_deactivate_self(client, login):
    me = login("admin")
    response = _post(client, f"/admin/users/{me.id}/active", {"active": "0"}, form_url="/admin/users")
    assert response.status_code == 409 and "不能停用自己" in response.data.decode()
    db.session.refresh(me)
    assert me.active is True


def test_reset_password_needs_csrf_and_shows_new_password(client, login, make):
    target = make.user("statistician", username="qian", password=PASSWORD)
    login("admin")
    assert client.post(f"/admin/users/{target.id}/password").status_code == 400
    response = _post(client, f"/admin/users/{target.id}/password", {}, form_url="/admin/users")
    password = _password_on(response.data.decode())
    db.session.refresh(target)
    assert target.check_password(password) and not target.check_password(PASSWORD)
    assert target.must_change_password is True


def test_users_list_shows_roles_and_units(client, login, make):
    unit = make.unit(name="省列表厅")
    make.user("liaison", unit=unit, username="liaison.list")
    login("admin")
    page = client.get("/admin/users").data.decode()
    assert "liaison.list" in page and "单位联络员" in page and "省列表厅" in page


def test_an_account_is_edited_and_the_edit_audited(client, login, make):
    from app.audit.models import AuditEntry
    from app.audit.operations import details_of

    admin = login("admin")
    unit = make.unit(name="省编辑厅")
    user = make.user(role="handler", username="zhao.edit")
    page = client.get(f"/admin/users/{user.id}").data.decode()
    assert "zhao.edit" in page and "用户名不能修改" in page
    response = _post(client, f"/admin/users/{user.id}", {"display_name": "赵六", "role": "liaison", "unit": unit.code})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.role, user.unit_id, user.username) == ("赵六", "liaison", unit.id, "zhao.edit")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.edit")).one()
    assert (entry.username, entry.object_id) == (admin.username, str(user.id))
    assert details_of(entry)["changes"] == {"name": ["", "赵六"], "role": ["投诉处理员", "单位联络员"],
                                            "unit": ["", unit.code]}
    back = _post(client, f"/admin/users/{user.id}", {"display_name": "赵六", "role": "statistician", "unit": unit.code})
    assert back.status_code == 302
    db.session.refresh(user)
    assert (user.role, user.unit_id) == ("statistician", None)  # only a liaison belongs to a unit
    assert "修改" in client.get("/admin/users").data.decode()


@pytest.mark.parametrize("data, status, message", [
    ({"role": "liaison", "unit": ""}, 400, "须选择所属单位"),
    ({"role": "handler", "unit": "NOPE"}, 400, "不是有效的选择"),
])
def test_a_bad_account_edit_changes_nothing(client, login, make, data, status, message):
    from app.audit.models import AuditEntry

    login("admin")
    user = make.user(role="handler", username="qian.edit")
    response = _post(client, f"/admin/users/{user.id}", {"display_name": "钱七", **data})
    assert response.status_code == status and message in response.data.decode()
    db.session.refresh(user)
    assert (user.display_name, user.role) == ("", "handler")
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "user.edit")) == 0


def test_an_admin_cannot_change_their_own_role(client, login):
    admin = login("admin")
    response = _post(client, f"/admin/users/{admin.id}", {"display_name": "我", "role": "handler", "unit": ""})
    assert response.status_code == 409 and "不能修改自己的角色" in response.data.decode()
    db.session.refresh(admin)
    assert admin.role == "admin"
    renamed = _post(client, f"/admin/users/{admin.id}", {"display_name": "管理员甲", "role": "admin", "unit": ""})
    assert renamed.status_code == 302


@pytest.mark.parametrize("role", ["handler", "statistician", "liaison"])
def test_only_admins_edit_accounts(client, login, make, role):
    user = make.user(role="handler")
    login(role)
    assert client.get(f"/admin/users/{user.id}").status_code == 403
