"""Admin pages for the registry: units and their service windows, staff accounts."""
import io
import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app import registry
from app.auth import role_required
from app.extensions import db
from app.models import ROLE_LABELS, Role, Unit, User, Window
from app.scheme import category_names, current_scheme

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Codes end up in URLs (/s/<window code>) and file names: keep them to plain characters.
CODE = Regexp(r"^[A-Za-z0-9_-]+$", message="代码只能用字母、数字、-和_")


class UnitForm(FlaskForm):
    code = StringField("单位代码", validators=[DataRequired(message="请填写代码"), Length(max=32), CODE])
    name = StringField("单位名称", validators=[DataRequired(message="请填写名称"), Length(max=120)])
    category = SelectField("单位类别")
    active = BooleanField("参加考核", default=True)


class WindowForm(FlaskForm):
    code = StringField("窗口代码(二维码地址的一部分)", validators=[DataRequired(message="请填写代码"),
                                                          Length(max=40), CODE])
    name = StringField("窗口名称", validators=[DataRequired(message="请填写名称"), Length(max=120)])
    location = StringField("位置(选填)", validators=[Optional(), Length(max=200)])
    active = BooleanField("启用", default=True)


class UnitsUploadForm(FlaskForm):
    file = FileField("单位名单(CSV:code,name,category)", validators=[FileRequired(message="请选择文件")])


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[
        DataRequired(message="请填写用户名"), Length(min=3, max=64, message="用户名应为3至64个字符"),
        Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能用字母、数字和 . _ -")])
    display_name = StringField("姓名(选填)", validators=[Optional(), Length(max=64)])
    role = SelectField("角色", choices=[SelectChoice(str(role), label) for role, label in ROLE_LABELS.items()])
    unit = SelectField("所属单位(单位联络员必填)", validators=[Optional()])


def _unit_choices():
    units = db.session.scalars(sa.select(Unit).where(Unit.active).order_by(Unit.category, Unit.code))
    return [SelectChoice("", "(无)")] + [SelectChoice(u.code, f"{u.code} {u.name}") for u in units]


def _refuse(template, status, message, **context):
    flash(message, "error")
    return render_template(template, **context), status


@bp.route("/units")
@role_required("admin")
def units():
    all_units = db.session.scalars(sa.select(Unit).order_by(Unit.category, Unit.code)).all()
    return render_template("admin/units.html", units=all_units, upload=UnitsUploadForm(),
                           categories=category_names(current_scheme()))


@bp.route("/units/import", methods=["POST"])
@role_required("admin")
def units_import():
    form = UnitsUploadForm()
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 文件。", "error")
        return units(), 400
    try:
        text = form.file.data.read().decode("utf-8-sig")
        created, updated = registry.import_units(_check_rows(registry.read_csv(io.StringIO(text))))
    except UnicodeDecodeError:
        flash("文件不是 UTF-8 编码,请在表格软件中另存为“CSV UTF-8”。", "error")
        return units(), 400
    except registry.RegistryError as error:
        flash(f"导入失败,未保存任何单位。{error}", "error")
        return units(), 400
    flash(f"导入完成:新增 {created} 个单位,更新 {updated} 个。", "success")
    return redirect(url_for("admin.units"))


def _check_rows(rows):
    """Categories must be the scheme's and names stay unique, so that the import cannot fail halfway.

    Row numbers count the header as line 1, as read_csv does.
    """
    known = category_names(current_scheme())
    owners = dict(db.session.execute(sa.select(Unit.name, Unit.code)).all())
    for line, row in enumerate(rows, start=2):
        if row["category"] not in known:
            raise registry.RegistryError(f"第{line}行:考核方案中没有第{row['category']}类")
        owner = owners.setdefault(row["name"], row["code"])
        if owner != row["code"]:
            raise registry.RegistryError(f"第{line}行:单位名称“{row['name']}”已用于单位代码 {owner}")
    return rows


def _unit_form(unit=None):
    form = UnitForm(obj=unit)
    form.category.choices = [SelectChoice(str(code), f"{code} {name}")
                             for code, name in category_names(current_scheme()).items()]
    if unit is not None and not form.is_submitted():
        form.category.data = str(unit.category)
    return form


def _save_unit(form, unit):
    """Apply the form to `unit` (new if None); None when the code or name is taken."""
    clash = db.session.scalar(sa.select(Unit).where(
        sa.or_(Unit.code == form.code.data.strip(), Unit.name == form.name.data.strip()),
        Unit.id != (unit.id if unit else -1)).limit(1))
    if clash is not None:
        return None
    unit = unit or Unit()
    unit.code, unit.name = form.code.data.strip(), form.name.data.strip()
    unit.category, unit.active = int(form.category.data), form.active.data
    db.session.add(unit)
    db.session.flush()
    return unit


@bp.route("/units/new", methods=["GET", "POST"])
@role_required("admin")
def unit_new():
    return _unit_page(None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required("admin")
def unit_edit(unit_id):
    return _unit_page(db.get_or_404(Unit, unit_id))


def _unit_page(unit):
    form = _unit_form(unit)
    context = {"form": form, "unit": unit}
    if form.is_submitted():
        if not form.validate():
            return render_template("admin/unit_form.html", **context), 400
        saved = _save_unit(form, unit)
        if saved is None:
            return _refuse("admin/unit_form.html", 409, "单位代码或名称已被其他单位使用。", **context)
        flash(f"已保存单位 {saved.name}。", "success")
        return redirect(url_for("admin.unit_edit", unit_id=saved.id))
    return render_template("admin/unit_form.html", **context)


def suggest_window_code(unit):
    """The first free `<unit code>-W<n>`."""
    taken = set(db.session.scalars(sa.select(Window.code).where(Window.code.like(f"{unit.code}-W%"))))
    n = 1
    while f"{unit.code}-W{n}" in taken:
        n += 1
    return f"{unit.code}-W{n}"


@bp.route("/units/<int:unit_id>/windows/new", methods=["GET", "POST"])
@role_required("admin")
def window_new(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = WindowForm()
    if not form.is_submitted():
        form.code.data = suggest_window_code(unit)
    return _window_page(form, unit, None)


@bp.route("/windows/<int:window_id>", methods=["GET", "POST"])
@role_required("admin")
def window_edit(window_id):
    window = db.get_or_404(Window, window_id)
    return _window_page(WindowForm(obj=window), window.unit, window)


def _window_page(form, unit, window):
    context = {"form": form, "unit": unit, "window": window}
    if not form.is_submitted():
        return render_template("admin/window_form.html", **context)
    if not form.validate():
        return render_template("admin/window_form.html", **context), 400
    code = form.code.data.strip()
    clash = db.session.scalar(sa.select(Window.id).where(Window.code == code, Window.id != (window.id if window else -1)))
    if clash is not None:
        return _refuse("admin/window_form.html", 409, f"窗口代码 {code} 已被使用,请换一个。", **context)
    window = window or Window(unit_id=unit.id)
    window.code, window.name = code, form.name.data.strip()
    window.location, window.active = (form.location.data or "").strip(), form.active.data
    db.session.add(window)
    db.session.flush()
    flash(f"已保存服务窗口 {window.code}。", "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


@bp.route("/users")
@role_required("admin")
def users():
    staff = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.role, User.username)).all()
    return render_template("admin/users.html", users=staff, roles=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    form = UserForm()
    form.unit.choices = _unit_choices()
    if not form.is_submitted():
        return render_template("admin/user_form.html", form=form)
    if not form.validate():
        return render_template("admin/user_form.html", form=form), 400
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == form.unit.data)) if form.unit.data else None
    if form.role.data == Role.liaison and unit is None:
        return _refuse("admin/user_form.html", 400, "单位联络员须选择所属单位。", form=form)
    if db.session.scalar(sa.select(User.id).where(User.username == form.username.data)) is not None:
        return _refuse("admin/user_form.html", 409, f"用户名 {form.username.data} 已存在。", form=form)
    user = User(username=form.username.data, display_name=(form.display_name.data or "").strip(),
                role=form.role.data, unit_id=unit.id if unit and form.role.data == Role.liaison else None)
    return _show_password_once(user, created=True)


def _show_password_once(user, created):
    """Set a fresh one-time password and show it on this response only; it must be changed at first sign-in."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    page = render_template("admin/password_once.html", user=user, password=password, created=created)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_active(user_id):
    user = db.get_or_404(User, user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash("不能停用自己正在使用的账号。", "error")
        return users(), 409
    user.active = active
    flash(f"账号 {user.username} 已{'启用' if active else '停用'}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def user_reset_password(user_id):
    user = db.get_or_404(User, user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return _show_password_once(user, created=False)
