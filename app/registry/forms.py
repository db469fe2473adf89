"""Forms of the registry: units, windows, staff accounts, API keys."""
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.forms import CheckedForm
from app.registry.models import ROLE_LABELS, Unit


def unit_choices(blank=None):
    """The active units as select choices, "A101 省发展改革委", by category; `blank` labels an empty first choice."""
    units = db.session.execute(sa.select(Unit.code, Unit.name).where(Unit.active).order_by(Unit.category, Unit.code))
    return ([SelectChoice("", blank)] if blank else []) + [SelectChoice(code, f"{code} {name}") for code, name in units]


# Codes end up in URLs (/s/<window code>) and file names: keep them to plain characters.
CODE = Regexp(r"^[A-Za-z0-9_-]+$", message="代码只能用字母、数字、-和_")


class UnitForm(CheckedForm):
    code = StringField("单位代码", validators=[DataRequired(message="请填写代码"), Length(max=32), CODE])
    name = StringField("单位名称", validators=[DataRequired(message="请填写名称"), Length(max=120)])
    category = SelectField("单位类别")
    active = BooleanField("参加考核", default=True)


class WindowForm(CheckedForm):
    code = StringField("窗口代码（二维码地址的一部分）", validators=[DataRequired(message="请填写代码"),
                                                          Length(max=40), CODE])
    name = StringField("窗口名称", validators=[DataRequired(message="请填写名称"), Length(max=120)])
    location = StringField("位置（选填）", validators=[Optional(), Length(max=200)])
    active = BooleanField("启用", default=True)


class UnitsUploadForm(CheckedForm):
    file = FileField("单位名单（CSV:code,name,category）", validators=[FileRequired(message="请选择文件")])


class UserEditForm(CheckedForm):
    """What an admin may change on an account; the username stays, as the audit log names it."""

    display_name = StringField("姓名（选填）", validators=[Optional(), Length(max=64)])
    role = SelectField("角色", choices=[SelectChoice(str(role), label) for role, label in ROLE_LABELS.items()])
    unit = SelectField("所属单位（单位联络员必填）", validators=[Optional()])


class UserForm(UserEditForm):
    username = StringField("用户名", validators=[
        DataRequired(message="请填写用户名"), Length(min=3, max=64, message="用户名应为3至64个字符"),
        Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能用字母、数字和 . _ -")])


class ApiKeyForm(CheckedForm):
    unit = SelectField("单位（密钥只能用于本单位）", validators=[DataRequired(message="请选择单位")])
    name = StringField("用途（使用该密钥的系统）", validators=[DataRequired(message="请填写用途"), Length(max=80)])
