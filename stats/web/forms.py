"""Forms of the statisticians' pages. Rules beyond field format live in operations."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.kernel.clock import local_today
from app.kernel.forms import CheckedForm

YEAR_RANGE = NumberRange(min=2000, max=2100, message="年度应在 2000 至 2100 之间")


class RunForm(CheckedForm):
    year = IntegerField("考核年度", validators=[InputRequired(message="请填写考核年度"), YEAR_RANGE])
    note = StringField("说明（如：申诉复核后重新计分）", validators=[Length(max=300)])


class ButtonForm(CheckedForm):
    """Only the CSRF token: the action is a button."""


class PublishForm(CheckedForm):
    confirm_missing_parts = BooleanField("确认缺项按0分发布")
    confirm_unranked = BooleanField("确认以上单位不参与排名")


class PartsImportForm(CheckedForm):
    year = IntegerField("考核年度", validators=[InputRequired(message="请填写考核年度"), YEAR_RANGE])
    file = FileField("CSV 文件（列：unit_code,part,points,source,note）",
                     validators=[FileRequired(message="请选择要导入的 CSV 文件")])


class AdjustmentForm(CheckedForm):
    year = HiddenField()
    unit = SelectField("被考核单位", validators=[InputRequired(message="请选择单位")])
    amount = DecimalField("分值（加分为正数，减分为负数）", places=2,
                          validators=[InputRequired(message="请填写分值"),
                                      NumberRange(min=-1000, max=1000, message="分值应在 -1000 至 1000 之间")])
    reason = TextAreaField("事由", validators=[DataRequired(message="请填写事由"), Length(max=1000)])
    evidence = StringField("依据（文件名称、文号或材料）", validators=[DataRequired(message="请填写依据"),
                                                           Length(max=300)])


class RevokeForm(CheckedForm):
    reason = TextAreaField("撤销理由", validators=[DataRequired(message="请填写撤销理由"), Length(max=1000)])


class ReinstateForm(CheckedForm):
    note = TextAreaField("恢复计分的说明", validators=[DataRequired(message="请填写说明"), Length(max=1000)])


class IssueNoticeForm(CheckedForm):
    dated = DateField("成文日期", default=local_today, validators=[InputRequired(message="请填写成文日期")])


class AdmonitionForm(CheckedForm):
    unit_code = SelectField("被问责单位", validators=[InputRequired(message="请选择单位")])
    official = StringField("被问责人员（姓名、职务；对单位问责的不填）", validators=[Length(max=60)])
    level = SelectField("问责类别", validators=[InputRequired(message="请选择问责类别")])
    facts = TextAreaField("查明的事实", validators=[DataRequired(message="请写明查明的事实"), Length(max=2000)])
    case_numbers = StringField("涉及的投诉件编号（可多个，用逗号分隔）", validators=[Length(max=300)])
    dated = DateField("成文日期", default=local_today, validators=[InputRequired(message="请填写成文日期")])


class AdmonitionRevokeForm(CheckedForm):
    reason = TextAreaField("撤销理由", validators=[DataRequired(message="撤销须填写理由"), Length(max=1000)])


class AppealForm(CheckedForm):
    """A liaison's appeal against one 差评: the rating's id, the reason; evidence files come as `files`."""

    response = HiddenField(validators=[DataRequired(message="请选择要申诉的差评"), Length(max=32)])
    reason = TextAreaField("申诉理由（必填：说明该条差评为何属于误评或恶意差评）",
                           validators=[DataRequired(message="请写明申诉理由"), Length(max=2000, message="申诉理由不能超过2000字")])


class AppealDecisionForm(CheckedForm):
    """The office's decision on an appeal: upheld or not, with its reasons."""

    upheld = SelectField("复核结论", choices=[SelectChoice("yes", "申诉成立（该条评价不计分）"),
                                            SelectChoice("no", "申诉不成立（维持评价）")],
                         validators=[InputRequired(message="请选择复核结论")])
    note = TextAreaField("复核意见（必填）", validators=[DataRequired(message="请写明复核意见"),
                                                   Length(max=2000, message="复核意见不能超过2000字")])
