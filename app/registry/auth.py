"""Staff sign-in, sign-out, password change, the role guard, and the API key guard of systems."""
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.audit import operations as audit
from app.kernel import ratelimit, sessions
from app.kernel.extensions import db, login_manager
from app.kernel.forms import CheckedForm
from app.kernel.refusals import Refusal
from app.kernel.shared import is_shared_page
from app.registry import apikeys, operations
from app.registry.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")

PAUSED = "登录失败次数过多，冷却期内不予登录"  # the audit log's reason for a refused attempt


@login_manager.user_loader
def _load_user(user_id):
    """The signed-in account; a deactivated one is signed in no more (its sessions are ended too)."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@bp.before_app_request
def _one_time_password_first():
    """A user signed in with a one-time password may do nothing else until it is changed (public pages,
    the same for everyone, stay open: they read no session)."""
    if is_shared_page():
        return None
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static")):
        return redirect(url_for("auth.change_password"))
    return None


def role_required(*roles):
    """Allow only signed-in staff holding one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def api_key_required(view):
    """Allow a call carrying a valid API key (Authorization: Bearer <key>) within its rate limit;
    the key is g.api_key. Refusals are JSON with a Chinese message: 401 (with WWW-Authenticate), 429 (with
    Retry-After). Each call is recorded in the audit log."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            g.api_key = apikeys.use_api_key(_bearer_token(), method=request.method, path=request.path)
        except apikeys.ApiKeyRefused as refused:
            headers = {"WWW-Authenticate": 'Bearer realm="xiaoneng"'} if refused.status == 401 else {}
            if refused.retry_after:
                headers["Retry-After"] = str(refused.retry_after)
            return {"error": refused.message}, refused.status, headers
        return view(*args, **kwargs)

    return wrapped


def _bearer_token():
    auth = request.authorization
    return auth.token if auth is not None and auth.type == "bearer" and auth.token else None


def require_key_unit(unit):
    """The calling key's unit must be `unit` (a Unit or None for an unknown one); else 403."""
    apikeys.refuse_other_unit(g.api_key, unit, method=request.method, path=request.path)


class LoginForm(CheckedForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=200)])


class PasswordForm(CheckedForm):
    current = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired(), Length(min=10, max=200, message="新密码至少10位")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new", message="两次输入的新密码不一致")])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, signed_in = operations.authenticate(form.username.data, form.password.data,
                                                      ratelimit.client_address())
        except operations.SignInPaused as paused:
            audit.record("auth.login_failed", paused.user, actor=paused.user, details={"reason": PAUSED},
                         keep_if_refused=True)
            flash(paused.message, "error")
            return render_template("registry/login.html", form=form), paused.status
        if not signed_in:
            audit.record("auth.login_failed", user, actor=user, keep_if_refused=True)
            flash("用户名或密码不正确。", "error")
            return render_template("registry/login.html", form=form), 401
        sessions.renew()  # an id seen before sign-in (a planted cookie) is not the signed-in one
        login_user(user)
        audit.record("auth.login", user, actor=user)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(_safe_next() or url_for("core.dashboard"))
    return render_template("registry/login.html", form=form)


def _safe_next():
    """The `next` page, when it is a plain path on this site; anything else is ignored.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so a path like
    "/(tab)/evil.example" or "/(backslash)evil.example" leaves the site: any control character,
    whitespace or backslash is refused, as are a scheme and a host.
    """
    target = request.args.get("next", "")
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(char.isspace() or not char.isprintable() for char in target)):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        audit.record("auth.logout", current_user)
    logout_user()
    sessions.end()
    return redirect(url_for("core.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current.data, form.new.data)
        except Refusal as refusal:
            form.current.errors.append(refusal.message)
            return render_template("registry/password.html", form=form), 400
        sessions.renew()  # the id this page was shown under is retired too
        flash("密码已修改。", "success")
        return redirect(url_for("core.dashboard"))
    return render_template("registry/password.html", form=form), 400 if form.errors else 200
