"""Staff sign-in: hashed passwords, one-time passwords, roles."""
import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import User
from tests.conftest import csrf_from


def _sign_in(client, username, password):
    token = csrf_from(client.get("/auth/login").data)
    return client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token})


def test_password_is_stored_hashed(make):
    user = make.user(password="correct horse battery")
    assert "correct horse" not in user.password_hash
    assert user.check_password("correct horse battery") and not user.check_password("wrong")


def test_wrong_password_is_refused_with_401(client, make):
    user = make.user(password="correct horse battery")
    response = _sign_in(client, user.username, "nope")
    assert response.status_code == 401 and "用户名或密码不正确" in response.data.decode()


def test_one_time_password_must_be_changed_before_anything_else(client, make):
    user = make.user(role="admin", password="one-time-secret")
    user.must_change_password = True
    db.session.flush()
    assert _sign_in(client, user.username, "one-time-secret").headers["Location"].endswith("/auth/password")
    for path in ("/staff", "/admin/units", "/admin/users/new"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/auth/password"), path
    page = client.get("/auth/password")
    form = {"current": "one-time-secret", "new": "a-new-long-password", "confirm": "a-new-long-password",
            "csrf_token": csrf_from(page.data)}
    assert client.post("/auth/password", data=form).status_code == 302
    assert client.get("/admin/units").status_code == 200
    stored = db.session.scalar(sa.select(User).where(User.id == user.id))
    assert stored.must_change_password is False and stored.check_password("a-new-long-password")


def test_login_form_needs_csrf(client, make):
    user = make.user(password="correct horse battery")
    response = client.post("/auth/login", data={"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 400


def test_roles_guard_admin_pages(client, login):
    login("handler")
    assert client.get("/admin/units").status_code == 403


@pytest.mark.isolated
def test_unexpected_error_gets_a_chinese_500_page(isolated_app):
    isolated_app.config["PROPAGATE_EXCEPTIONS"] = False

    @isolated_app.route("/boom")
    def boom():
        raise RuntimeError("bug")

    response = isolated_app.test_client().get("/boom")
    assert response.status_code == 500 and "服务器出现错误" in response.data.decode()


@pytest.mark.isolated
def test_cli_creates_users_and_resets_passwords(isolated_app):
    runner = isolated_app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "stat1", "--role", "statistician"])
    assert made.exit_code == 0 and "一次性密码" in made.output
    again = runner.invoke(args=["users", "create", "stat1", "--role", "statistician"])
    assert again.exit_code != 0 and "已存在" in again.output
    liaison = runner.invoke(args=["users", "create", "lia1", "--role", "liaison", "--unit", "NOPE"])
    assert liaison.exit_code != 0 and "单位联络员须选择所属单位" in liaison.output
    reset = runner.invoke(args=["users", "reset-password", "stat1"])
    password = reset.output.rsplit("：", 1)[1].strip()
    with isolated_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "stat1"))
        assert user.check_password(password) and user.must_change_password


def test_dashboard_shows_each_role_its_own_pages(client, login):
    login("liaison")
    html = client.get("/staff").data.decode()
    assert "投诉咨询件" in html and "单位联络员" in html
    assert "工作人员账号" not in html and "计分与考核结果" not in html
