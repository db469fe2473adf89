"""Registry operations: the unit list (parse, import, export as CSV), windows and staff accounts.

Operations flush; the request boundary (or the command) commits.
"""
import csv
import functools
import io
import os
import re
import secrets

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit import operations as audit
from app.kernel import ratelimit, sessions
from app.kernel.db import upsert
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.registry.models import ROLE_LABELS, Role, Unit, User, Window

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
ANHUI_LIST = os.path.join(DATA_DIR, "anhui-2012-units.txt")
ANHUI_CSV = os.path.join(DATA_DIR, "anhui-2012-units.csv")

CSV_COLUMNS = ("code", "name", "category")
_NUMERALS = "一二三四五六七八九"
_HEADER = re.compile(r"第\s*([一二三四五六七八九])\s*类[:\uff1a](\S+?)[(\uff08](\d+)\s*个[)\uff09]")


class RegistryError(Refusal):
    """A unit list that cannot be loaded; the message names the row."""


def parse_unit_list(text):
    """Parse a 分类名单 into [(category, category_name, [unit names])].

    Names are separated by 、 except inside parentheses (省政府外办(侨办、港澳办)),
    and a list may be broken across lines by a page break, so each category's
    text is joined before splitting.
    """
    headers = list(_HEADER.finditer(text))
    groups = []
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        body = "".join(text[match.end():end].split()).rstrip("。")
        names = _split_names(body)
        expected = int(match.group(3))
        if len(names) != expected:
            raise RegistryError(f"第{match.group(1)}类应有{expected}个单位，解析得到{len(names)}个")
        groups.append((_NUMERALS.index(match.group(1)) + 1, match.group(2), names))
    return groups


def _split_names(body):
    names, depth, current = [], 0, []
    for char in body:
        if char in "((":
            depth += 1
        elif char in "))":
            depth -= 1
        if char == "、" and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        names.append("".join(current))
    return [name for name in names if name]


def assign_codes(groups, prefix="A"):
    """Stable codes: region prefix, category digit, two-digit position (A101 …)."""
    return [
        {"code": f"{prefix}{category}{position:02d}", "name": name, "category": category}
        for category, _label, names in groups
        for position, name in enumerate(names, start=1)
    ]


def read_csv(stream):
    """Read `code,name,category` rows, checking every row before anything is stored."""
    reader = csv.DictReader(stream)
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise RegistryError(f"CSV 缺少列：{', '.join(sorted(missing))}")
    rows, seen = [], set()
    for line, row in enumerate(reader, start=2):
        code, name = (row["code"] or "").strip(), (row["name"] or "").strip()
        category = (row["category"] or "").strip()
        if not code or not name:
            raise RegistryError(f"第{line}行：单位代码和名称不能为空")
        if not category.isdigit() or not 1 <= int(category) <= 9:
            raise RegistryError(f"第{line}行：单位类别应为1至9的数字，而不是“{category}”")
        if code in seen:
            raise RegistryError(f"第{line}行：单位代码 {code} 重复")
        seen.add(code)
        rows.append({"code": code, "name": name, "category": int(category)})
    return rows


def check_rows(rows, categories):
    """Categories must be the scheme's and names stay unique, so that an import cannot fail halfway.

    Row numbers count the header as line 1, as read_csv does.
    """
    owners = dict(db.session.execute(sa.select(Unit.name, Unit.code)).all())
    for line, row in enumerate(rows, start=2):
        if row["category"] not in categories:
            raise RegistryError(f"第{line}行：考核方案中没有第{row['category']}类")
        owner = owners.setdefault(row["name"], row["code"])
        if owner != row["code"]:
            raise RegistryError(f"第{line}行：单位名称“{row['name']}”已用于单位代码 {owner}")
    return rows


def save_unit(unit, *, code, name, category, active, actor=None):
    """Create (unit None) or update a unit; refuses a code or name another unit has. `actor` is
    recorded (None: a command)."""
    clash = db.session.scalar(sa.select(Unit.id).where(
        sa.or_(Unit.code == code, Unit.name == name), Unit.id != (unit.id if unit else -1)).limit(1))
    if clash is not None:
        raise Refusal("单位代码或名称已被其他单位使用。", 409)
    action, before = ("unit.create", {}) if unit is None else ("unit.edit", _unit_fields(unit))
    unit = unit or Unit()
    unit.code, unit.name, unit.category, unit.active = code, name, category, active
    db.session.add(unit)
    db.session.flush()
    audit.record(action, unit, actor=actor, details={
        "code": code, "name": name, "changes": audit.changes(before, _unit_fields(unit)) if before else {}})
    return unit


def _unit_fields(unit):
    return {"code": unit.code, "name": unit.name, "category": unit.category, "active": unit.active}


def suggest_window_code(unit):
    """The first free `<unit code>-W<n>`."""
    taken = set(db.session.scalars(sa.select(Window.code).where(Window.code.like(f"{unit.code}-W%"))))
    n = 1
    while f"{unit.code}-W{n}" in taken:
        n += 1
    return f"{unit.code}-W{n}"


def save_window(window, unit, *, code, name, location, active, actor=None):
    """Create (window None) or update a service window; its code must be free. `actor` is recorded."""
    clash = db.session.scalar(sa.select(Window.id).where(Window.code == code, Window.id != (window.id if window else -1)))
    if clash is not None:
        raise Refusal(f"窗口代码 {code} 已被使用，请换一个。", 409)
    action, before = ("window.create", {}) if window is None else ("window.edit", _window_fields(window))
    window = window or Window(unit_id=unit.id)
    window.code, window.name, window.location, window.active = code, name, location, active
    db.session.add(window)
    db.session.flush()
    audit.record(action, window, actor=actor, details={
        "code": code, "unit": unit.code, "changes": audit.changes(before, _window_fields(window)) if before else {}})
    return window


def _window_fields(window):
    return {"code": window.code, "name": window.name, "location": window.location, "active": window.active}


def all_units(active_only=False):
    """Units by category and code; with active_only those taking part in the assessment."""
    stmt = sa.select(Unit).order_by(Unit.category, Unit.code)
    return db.session.scalars(stmt.where(Unit.active) if active_only else stmt).all()


def unit_by_code(code):
    return db.session.scalar(sa.select(Unit).where(Unit.code == code)) if code else None


def import_units_csv(data, categories, *, actor, file=""):
    """Check an uploaded `code,name,category` file (UTF-8 bytes) completely, then import it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryError("文件不是 UTF-8 编码，请在表格软件中另存为“CSV UTF-8”。") from None
    return import_units(check_rows(read_csv(io.StringIO(text)), categories), actor=actor, file=file)


def import_units(rows, actor=None, file=""):
    """Insert new units and update changed ones by code; never deletes. Flushes only; records the import
    (by `actor`, None for a command) when it changed anything."""
    existing = {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}
    created, updated = upsert(existing, rows, "code", lambda row: Unit(**row))
    if created or updated:
        audit.record("unit.import", actor=actor, details={"created": created, "updated": updated, "file": file})
    return created, updated


def export_csv():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for unit in db.session.scalars(sa.select(Unit).order_by(Unit.category, Unit.code)):
        writer.writerow((unit.code, unit.name, unit.category))
    return out.getvalue()


def load_default_units():
    with open(ANHUI_CSV, encoding="utf-8") as fh:
        return import_units(read_csv(fh), file=os.path.basename(ANHUI_CSV))


def create_user(username, role, unit=None, display_name="", actor=None):
    """A new account with a one-time password; returns (user, password). `actor` is recorded."""
    if role == Role.liaison and unit is None:
        raise Refusal("单位联络员须选择所属单位。")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Refusal(f"用户名 {username} 已存在。", 409)
    user = User(username=username, display_name=display_name.strip(), role=role,
                unit_id=unit.id if unit is not None and role == Role.liaison else None)
    db.session.add(user)
    password = _one_time_password(user)
    audit.record("user.create", user, actor=actor, details=_account_details(user))
    return user, password


def _account_details(user):
    """What an entry says about an account: names and role in words, the unit by code."""
    return {"username": user.username, "name": user.display_name, "role": ROLE_LABELS.get(user.role, user.role),
            "unit": user.unit.code if user.unit is not None else ""}


def staff_accounts():
    """Every account: active ones first, then by role and username."""
    return db.session.scalars(sa.select(User).order_by(User.active.desc(), User.role, User.username)).all()


def edit_user(user, *, display_name, role, unit, actor):
    """Change an account's name, role and unit (a unit only for a liaison). An admin keeps their own role,
    so the office cannot lock itself out by accident. Records what changed."""
    if role == Role.liaison and unit is None:
        raise Refusal("单位联络员须选择所属单位。")
    if actor is not None and user.id == actor.id and role != user.role:
        raise Refusal("不能修改自己的角色，请由其他管理员修改。", 409)
    before = _account_details(user)
    user.display_name, user.role = display_name.strip(), role
    user.unit = unit if role == Role.liaison else None
    db.session.flush()
    changed = audit.changes(before, _account_details(user))
    if changed:
        audit.record("user.edit", user, actor=actor, details={"username": user.username, "changes": changed})
    return changed


def authenticate(username, password, address):
    """(the account `username` names or None, whether this sign-in succeeds): the account must exist, be
    active and have this password.

    Failed sign-ins are counted per user name and per address in the shared limiter (the scheme's
    login_failures_account and login_failures_address); once either is used up every attempt is refused,
    the right password too, until the oldest counted failure is older than the period (SignInPaused).
    An unknown or deactivated account is checked against a dummy hash of the same method, so that the
    answer takes as long as for a known one and says nothing about which names exist.
    """
    name = username.strip()
    user = db.session.scalar(sa.select(User).where(User.username == name))
    keys = {"login_failures_account": name.lower(), "login_failures_address": address}
    paused = [limit for limit, key in keys.items() if ratelimit.reached(limit, key)]
    if paused:
        minutes = max(ratelimit.minutes_left(limit, keys[limit]) for limit in paused)
        raise SignInPaused(f"登录失败次数过多，为保护账号安全，请{minutes}分钟后再试。", user)
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if not (matches and user is not None and user.active):
        for limit, key in keys.items():
            ratelimit.count(limit, key)
        return user, False
    ratelimit.clear("login_failures_account", keys["login_failures_account"])
    return user, True


class SignInPaused(Refusal):
    """Too many failed sign-ins for a user name or from an address: a cool-down."""

    status = 429

    def __init__(self, message, user):
        super().__init__(message)
        self.user = user


def _dummy_hash():
    """A hash of a random password with the configured method, made once per process and method."""
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


@functools.lru_cache(maxsize=4)
def _dummy_hash_for(method):
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def change_password(user, current, new):
    """The user's own change: the current password must be right; the one-time password is then gone."""
    if not user.check_password(current):
        raise Refusal("当前密码不正确")
    user.set_password(new)
    user.must_change_password = False
    db.session.flush()
    audit.record("auth.password_change", user, actor=user)
    # Whoever else holds a session of this account (a stolen cookie, a forgotten PC) is signed out.
    sessions.end_user_sessions(user.id, keep_current=True)


def reset_password(user, actor=None):
    """Set a fresh one-time password, to be changed at first sign-in; returns it (shown once)."""
    password = _one_time_password(user)
    audit.record("user.reset_password", user, actor=actor, details={"username": user.username})
    return password


def _one_time_password(user):
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.must_change_password = True
    db.session.flush()
    sessions.end_user_sessions(user.id)  # whoever knew the old password is signed out too
    return password


def set_active(user, active, actor):
    """Enable or disable an account; nobody disables the account they are using. A disabled account's
    sessions end at once, on every node."""
    if actor is not None and user.id == actor.id and not active:
        raise Refusal("不能停用自己正在使用的账号。", 409)
    if user.active != active:
        user.active = active
        db.session.flush()
        audit.record("user.enable" if active else "user.disable", user, actor=actor,
                     details={"username": user.username})
    if not active:
        sessions.end_user_sessions(user.id)


def sign_out_everywhere(user, actor):
    """End every session of an account (a lost phone, a shared PC): it must sign in again."""
    sessions.end_user_sessions(user.id)
    audit.record("user.sign_out", user, actor=actor, details={"username": user.username})

