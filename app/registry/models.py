"""Registry and staff models shared by every domain: units, windows, users."""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.kernel.clock import utcnow
from app.kernel.extensions import db


class Unit(db.Model):
    """被考核单位: an assessed body, ranked within its category."""

    __tablename__ = "units"
    __table_args__ = (sa.CheckConstraint("category BETWEEN 1 AND 9", name="category_range"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit's short code, unique; used in URLs, window codes (<unit code>-W<n>), CSV files and forms
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    #: the unit's full official name (单位名称), unique
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    #: 单位类别, the group it is ranked within: 1–4 in the default scheme (the database allows 1–9)
    category: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    #: False once the unit is retired: hidden from forms, the units API and the survey, its history kept
    active: so.Mapped[bool] = so.mapped_column(default=True)

    windows: so.Mapped[list["Window"]] = so.relationship(back_populates="unit", order_by="Window.code")

    def __repr__(self):
        return f"<Unit {self.code} {self.name}>"


class Window(db.Model):
    """服务窗口: a service counter; its QR code points at /s/<code>."""

    __tablename__ = "windows"

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit this service window belongs to
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the window's code, unique; its QR code points at /s/<code> (default <unit code>-W<n>)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    #: the window's name as shown to citizens
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: where the window is (address, floor), free text; empty if not given
    location: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: False once the window is closed: its QR code and forms no longer accept it
    active: so.Mapped[bool] = so.mapped_column(default=True)

    unit: so.Mapped[Unit] = so.relationship(back_populates="windows")


class Role(enum.StrEnum):
    admin = "admin"
    statistician = "statistician"
    handler = "handler"
    liaison = "liaison"


ROLE_LABELS = {
    Role.admin: "管理员",
    Role.statistician: "统计员",
    Role.handler: "投诉处理员",
    Role.liaison: "单位联络员",
}


class User(UserMixin, db.Model):
    """A staff account. A unit liaison is bound to one unit and sees only it."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'statistician', 'handler', 'liaison')", name="role_known"),
        sa.CheckConstraint("role <> 'liaison' OR unit_id IS NOT NULL", name="liaison_has_unit"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the sign-in name, unique
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: the person's name for display (姓名), optional; empty if not given
    display_name: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    #: the password as a Werkzeug hash (scrypt by default); never the password itself
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    #: one of Role: admin, statistician, handler, liaison (a DB constraint keeps it to these)
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the unit a unit liaison belongs to and sees alone; required for liaisons, NULL for other roles
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: False once the account is disabled: it can no longer sign in
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: True after a one-time password is set (creation, reset) until the user chooses their own
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
    #: when the account was created (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    unit: so.Mapped[Unit | None] = so.relationship()

    @property
    def is_active(self):
        return self.active

    def set_password(self, password):
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles):
        return self.role in roles


class ApiKey(db.Model):
    """接口密钥: lets one unit's business system (a window's queuing or case system) call the JSON API.

    The key is shown once when issued; only its SHA-256 is kept. It acts for its unit alone, within the
    scheme's [limits] api_key rate, counted per key by the shared limiter (app.kernel.ratelimit).
    """

    __tablename__ = "api_keys"
    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit the key acts for; it may read and register nothing of another unit
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: what the key is for, e.g. the system using it (排队叫号系统), as the admin named it
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    #: the key's first characters (xn_ and 8 more), unique: names the key in lists, logs and commands
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    #: SHA-256 of the whole key, hex; the key itself is never stored
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: the admin who issued it; NULL when issued from the command line
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was issued (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when it was revoked (naive UTC); NULL while it is valid. A revoked key is refused, never reused
    revoked_at: so.Mapped[datetime | None]
    #: the admin who revoked it; NULL while valid or when revoked from the command line
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was last accepted (naive UTC); NULL if never used
    last_used_at: so.Mapped[datetime | None]

    unit: so.Mapped[Unit] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])

    @property
    def is_revoked(self):
        return self.revoked_at is not None
