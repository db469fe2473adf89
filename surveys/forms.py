"""Survey forms. The questionnaire form is built per questionnaire version."""
import math

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, FieldList, FloatField, Form, FormField, HiddenField, IntegerField, RadioField,
    SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import (
    AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError,
)

from app.kernel.forms import CheckedForm, mobile_phone
from app.kernel.scheme import level_labels
from surveys.models import UNKNOWN_LABEL

UNKNOWN = "0"  # the form's value for 不了解; stored as NULL


class QuestionnaireForm(CheckedForm):
    """Base form; `build_questionnaire_form` adds one radio group per item."""

    ticket = HiddenField()

    def item_fields(self):
        return [field for field in self if field.name.startswith("item_")]

    def levels(self):
        """{item_id: level or None} from the validated data."""
        return {
            int(field.name.removeprefix("item_")): None if field.data in (None, "", UNKNOWN) else int(field.data)
            for field in self.item_fields()
        }


def build_questionnaire_form(questionnaire, comment_max, formdata=None, extra=None):
    """A form class with a radio field per item, in questionnaire order."""

    class Form(QuestionnaireForm):
        comment = TextAreaField(
            "意见和建议（选填）",
            validators=[Optional(), Length(max=comment_max, message=f"意见和建议不能超过{comment_max}字")],
        )

    levels = [SelectChoice(str(level), label) for level, label in level_labels().items()]
    for item in questionnaire.items:
        choices = list(levels)
        if item.allow_unknown:
            choices.append(SelectChoice(UNKNOWN, UNKNOWN_LABEL))
        required = item.required and not item.allow_unknown
        validators = [InputRequired(message="请选择一项")] if required else [Optional()]
        setattr(Form, f"item_{item.id}", RadioField(item.text, choices=choices, validators=validators,
                                                    description=item.dimension))
    for name, field in (extra or {}).items():
        setattr(Form, name, field)
    return Form(formdata=formdata) if formdata is not None else Form()


class PaperEntryTarget(CheckedForm):
    """The first step of paper entry: which unit, window and group the sheet is for."""

    unit = SelectField("被考核单位", validators=[InputRequired()])
    window = SelectField("服务窗口", validators=[Optional()])
    group = SelectField("服务对象类别", choices=[SelectChoice("nonfixed", "非固定服务对象"),
                                               SelectChoice("fixed", "固定服务对象")])


# --- Staff side: campaign and questionnaire editing, uploads, paper entry ---

class CampaignForm(CheckedForm):
    year = IntegerField("考核年度", validators=[InputRequired(message="请填写年度"),
                                             NumberRange(2000, 2100, message="年度应在2000至2100之间")])
    name = StringField("名称", validators=[DataRequired(message="请填写名称"), Length(max=120)])
    opens_on = DateField("开始日期", validators=[InputRequired(message="请填写开始日期")])
    closes_on = DateField("结束日期", validators=[InputRequired(message="请填写结束日期")])
    # The operation checks each choice's group and explains a wrong one.
    fixed_questionnaire = SelectField("固定服务对象问卷", validate_choice=False,
                                      validators=[InputRequired(message="请选择问卷")])
    nonfixed_questionnaire = SelectField("非固定服务对象问卷", validate_choice=False,
                                         validators=[InputRequired(message="请选择问卷")])


class ItemRowForm(Form):
    """One row of the item editor; a row left blank or marked for removal is dropped."""

    position = IntegerField("顺序", validators=[Optional()])
    code = StringField("代码", validators=[Optional(), Length(max=40),
                                         Regexp(r"^[a-z0-9_-]+$", message="代码只能用小写字母、数字、-和_")])
    text = StringField("题目", validators=[Optional(), Length(max=300)])
    dimension = StringField("测评维度", validators=[Optional(), Length(max=40)])
    weight = FloatField("权重", validators=[Optional()])
    allow_unknown = BooleanField("可选“不了解”")
    remove = BooleanField("删除")

    def is_blank(self):
        return self.remove.data or not any((self.code.data, self.text.data, self.dimension.data))


class QuestionnaireEditForm(CheckedForm):
    code = StringField("问卷代码", validators=[Optional(), Length(max=40),
                                           Regexp(r"^[a-z0-9_-]+$", message="代码只能用小写字母、数字、-和_")])
    group = SelectField("服务对象类别", choices=[SelectChoice("nonfixed", "非固定服务对象"),
                                               SelectChoice("fixed", "固定服务对象")])
    title = StringField("问卷标题", validators=[DataRequired(message="请填写标题"), Length(max=120)])
    items = FieldList(FormField(ItemRowForm), min_entries=1, max_entries=60)

    def validate_items(self, field):
        bad = any(row.errors for row in field)
        for row in field:
            if row.form.is_blank():
                continue
            for name in ("code", "text", "dimension"):
                if not row.form[name].data:
                    row.form[name].errors.append("必填")
                    bad = True
            weight = row.form.weight.data
            if weight is None or not math.isfinite(weight) or weight <= 0:
                row.form.weight.errors.append("权重须大于0")
                bad = True
        if bad:
            raise ValidationError("请修改标红的题目。")

    def item_specs(self):
        """Kept rows as dicts for the operations, ordered by the 顺序 column, then by row."""
        rows = [row.form for row in self.items if not row.form.is_blank()]
        rows.sort(key=lambda row: row.position.data if row.position.data is not None else 10_000)
        return [
            {"code": row.code.data, "text": row.text.data.strip(), "dimension": row.dimension.data.strip(),
             "weight": row.weight.data, "allow_unknown": row.allow_unknown.data}
            for row in rows
        ]


class RespondentsUploadForm(CheckedForm):
    file = FileField("固定服务对象名单（CSV:name,kind,contact）", validators=[FileRequired(message="请选择文件")])


class IssueInvitationsForm(CheckedForm):
    campaign = SelectField("测评活动", validators=[InputRequired(message="请选择测评活动")])
    reissue = BooleanField("同时为尚未使用的邀请重新生成邀请码（旧链接作废）")


class PaperSheetForm(QuestionnaireForm):
    """A paper sheet keyed in: one digit per item (5 … 1, 0 = 不了解)."""


def build_paper_form(questionnaire, comment_max):
    class Form(PaperSheetForm):
        comment = TextAreaField("意见和建议", validators=[
            Optional(), Length(max=comment_max, message=f"意见和建议不能超过{comment_max}字")])

    for item in questionnaire.items:
        allowed = ["5", "4", "3", "2", "1"] + ([UNKNOWN] if item.allow_unknown else [])
        hint = "1至5" + (",0为不了解" if item.allow_unknown else "")
        setattr(Form, f"item_{item.id}", StringField(item.text, description=item.dimension, validators=[
            InputRequired(message=f"请填写{hint}"), AnyOf(allowed, message=f"请填写{hint}")]))
    return Form()


def callback_phone_field():
    """The optional contact field on the non-fixed survey: a bad rating with a phone gets a callback."""
    return StringField("如需回访，请留下手机号（选填）", validators=[Optional(), mobile_phone])


class ExchangeExportForm(CheckedForm):
    """The year and format of an export to the provincial platform (a GET form: no token needed)."""

    class Meta:
        csrf = False

    year = IntegerField("考核年度", validators=[InputRequired(message="请填写年度"),
                                              NumberRange(2000, 2100, message="年度须在2000至2100之间")])
    format = SelectField("格式", choices=[SelectChoice("csv", "CSV（表格）"), SelectChoice("json", "JSON")], default="csv")


class ExchangeImportForm(CheckedForm):
    year = IntegerField("考核年度", validators=[InputRequired(message="请填写年度"),
                                              NumberRange(2000, 2100, message="年度须在2000至2100之间")])
    format = SelectField("格式", choices=[SelectChoice("csv", "CSV（表格）"), SelectChoice("json", "JSON")], default="csv")
    file = FileField("省级平台评价文件", validators=[FileRequired(message="请选择要导入的文件")])
