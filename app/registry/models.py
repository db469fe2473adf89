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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    category: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    windows: so.Mapped[list["Window"]] = so.relationship(back_populates="unit", order_by="Window.code")

    def __repr__(self):
        return f"<Unit {self.code} {self.name}>"


class Window(db.Model):
    """服务窗口: a service counter; its QR code points at /s/<code>."""

    __tablename__ = "windows"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    location: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
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
