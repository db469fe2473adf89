"""Admin pages for the registry: units and their service windows, staff accounts, API keys."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.registry import apikeys, operations
from app.registry.auth import role_required
from app.kernel.clock import local_text
from app.kernel.refusals import Refusal
from app.kernel.extensions import db
from app.registry.forms import ApiKeyForm, UnitForm, UnitsUploadForm, UserEditForm, UserForm, WindowForm, unit_choices
from app.registry.models import ROLE_LABELS, ApiKey, Unit, User, Window
from app.kernel.scheme import category_names, current_scheme

bp = Blueprint("admin", __name__, url_prefix="/admin")

def _refuse(template, status, message, **context):
    flash(message, "error")
    return render_template(template, **context), status


@bp.route("/units")
@role_required("admin")
def units():
    return render_template("registry/units.html", units=operations.all_units(), upload=UnitsUploadForm(),
                           categories=category_names(current_scheme()))


@bp.route("/units/import", methods=["POST"])
@role_required("admin")
def units_import():
    form = UnitsUploadForm()
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 文件。", "error")
        return units(), 400
    try:
        created, updated = operations.import_units_csv(form.file.data.read(), category_names(current_scheme()),
                                                       actor=current_user, file=form.file.data.filename or "")
    except operations.RegistryError as error:
        flash(f"导入失败，未保存任何单位。{error}", "error")
        return units(), 400
    flash(f"导入完成：新增 {created} 个单位，更新 {updated} 个。", "success")
    return redirect(url_for("admin.units"))


def _unit_form(unit=None):
    form = UnitForm(obj=unit)
    form.category.choices = [SelectChoice(str(code), f"{code} {name}")
                             for code, name in category_names(current_scheme()).items()]
    if unit is not None and not form.is_submitted():
        form.category.data = str(unit.category)
    return form


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
            return render_template("registry/unit_form.html", **context), 400
        try:
            saved = operations.save_unit(unit, code=form.code.data.strip(), name=form.name.data.strip(),
                                       category=int(form.category.data), active=form.active.data,
                                       actor=current_user)
        except Refusal as refusal:
            return _refuse("registry/unit_form.html", refusal.status, refusal.message, **context)
        flash(f"已保存单位 {saved.name}。", "success")
        return redirect(url_for("admin.unit_edit", unit_id=saved.id))
    return render_template("registry/unit_form.html", **context)


@bp.route("/units/<int:unit_id>/windows/new", methods=["GET", "POST"])
@role_required("admin")
def window_new(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = WindowForm()
    if not form.is_submitted():
        form.code.data = operations.suggest_window_code(unit)
    return _window_page(form, unit, None)


@bp.route("/windows/<int:window_id>", methods=["GET", "POST"])
@role_required("admin")
def window_edit(window_id):
    window = db.get_or_404(Window, window_id)
    return _window_page(WindowForm(obj=window), window.unit, window)


def _window_page(form, unit, window):
    context = {"form": form, "unit": unit, "window": window}
    if not form.is_submitted():
        return render_template("registry/window_form.html", **context)
    if not form.validate():
        return render_template("registry/window_form.html", **context), 400
    try:
        window = operations.save_window(window, unit, code=form.code.data.strip(), name=form.name.data.strip(),
                                      location=(form.location.data or "").strip(), active=form.active.data,
                                      actor=current_user)
    except Refusal as refusal:
        return _refuse("registry/window_form.html", refusal.status, refusal.message, **context)
    flash(f"已保存服务窗口 {window.code}。", "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


@bp.route("/users")
@role_required("admin")
def users():
    return render_template("registry/users.html", users=operations.staff_accounts(), roles=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    form = UserForm()
    form.unit.choices = unit_choices(blank="（无）")
    if not form.is_submitted():
        return render_template("registry/user_form.html", form=form)
    if not form.validate():
        return render_template("registry/user_form.html", form=form), 400
    unit = operations.unit_by_code(form.unit.data)
    try:
        user, password = operations.create_user(form.username.data, form.role.data, unit,
                                              form.display_name.data or "", actor=current_user)
    except Refusal as refusal:
        return _refuse("registry/user_form.html", refusal.status, refusal.message, form=form)
    return _show_password_once(user, password, created=True)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.unit.choices = unit_choices(blank="（无）")
    if user.unit is not None and not user.unit.active:  # a unit no longer assessed stays choosable
        form.unit.choices.append(SelectChoice(user.unit.code, f"{user.unit.code} {user.unit.name}"))
    context = {"form": form, "user": user}
    if not form.is_submitted():
        form.unit.data = user.unit.code if user.unit else ""
        return render_template("registry/user_form.html", **context)
    if not form.validate():
        return render_template("registry/user_form.html", **context), 400
    try:
        changed = operations.edit_user(user, display_name=form.display_name.data or "", role=form.role.data,
                                       unit=operations.unit_by_code(form.unit.data), actor=current_user)
    except Refusal as refusal:
        return _refuse("registry/user_form.html", refusal.status, refusal.message, **context)
    flash(f"已保存账号 {user.username}。" if changed else f"账号 {user.username} 没有改动。", "success")
    return redirect(url_for("admin.users"))


def _show_password_once(user, password, created):
    """The one-time password appears on this response only, never cached."""
    page = render_template("registry/password_once.html", user=user, password=password, created=created)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_active(user_id):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        operations.set_active(user, active, current_user)
    except Refusal as refusal:
        flash(refusal.message, "error")
        return users(), refusal.status
    flash(f"账号 {user.username} 已{'启用' if active else '停用'}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
@role_required("admin")
def user_sign_out(user_id):
    user = db.get_or_404(User, user_id)
    operations.sign_out_everywhere(user, current_user)
    flash(f"账号 {user.username} 在所有设备上的登录已结束，须重新登录。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def user_reset_password(user_id):
    user = db.get_or_404(User, user_id)
    return _show_password_once(user, operations.reset_password(user, actor=current_user), created=False)


@bp.route("/api-keys", methods=["GET", "POST"])
@role_required("admin")
def api_keys():
    form = ApiKeyForm()
    form.unit.choices = unit_choices(blank="（请选择）")
    if not form.is_submitted():
        return _api_keys_page(form)
    if not form.validate():
        return _api_keys_page(form), 400
    unit = operations.unit_by_code(form.unit.data)
    api_key, key = apikeys.create_api_key(unit, form.name.data, actor=current_user)
    # The key appears on this response only, never cached.
    page = render_template("registry/api_key_once.html", api_key=api_key, key=key)
    return page, 200, {"Cache-Control": "no-store"}


def _api_keys_page(form):
    return render_template("registry/api_keys.html", form=form, keys=apikeys.api_keys(), local=local_text)


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@role_required("admin")
def api_key_revoke(key_id):
    api_key = db.get_or_404(ApiKey, key_id)
    apikeys.revoke_api_key(api_key, actor=current_user)
    flash(f"已吊销接口密钥 {api_key.prefix}，使用它的系统从下一次调用起被拒绝。", "success")
    return redirect(url_for("admin.api_keys"))
