"""Case forms. CaseFieldsForm holds the citizen's fields and their rules; the web intake,
the first-receiver record and the JSON API all validate through it. Every form here derives
from CheckedForm, which refuses text the database cannot store before any other check."""
import sqlalchemy as sa
from wtforms import (BooleanField, DateField, Form, FieldList, FormField, HiddenField, IntegerField, MultipleFileField,
                     RadioField, SelectChoice, SelectField, StringField, TextAreaField)
from wtforms.validators import (AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp,
                                ValidationError)

from app.kernel.extensions import db
from app.kernel.forms import PHONE_INVALID, CheckedForm
from app.registry.forms import unit_choices
from app.registry.models import Unit, Window
from app.kernel.scheme import current_scheme
from complaints.models import CASE_CHANNEL_LABELS, CITIZEN_KINDS, KIND_LABELS, RATING_LABELS, CaseChannel
from complaints.queue import DUE_FILTERS, STATUS_GROUPS, Filters
from complaints.workflow import STATUS_LABELS, STATUSES
from app.kernel.privacy import normalise_phone

KIND_CHOICES = [SelectChoice(str(kind), KIND_LABELS[kind]) for kind in CITIZEN_KINDS]
RATING_CHOICES = [SelectChoice(str(value), label) for value, label in RATING_LABELS.items()]


def active_unit(code):
    return db.session.scalar(sa.select(Unit).where(Unit.code == (code or "").strip(), Unit.active))


class CaseFieldsForm(CheckedForm):
    """What a citizen tells: kind, unit, window, what happened, and who they are (or anonymous)."""

    kind = RadioField("类型", choices=KIND_CHOICES, validate_choice=False, validators=[
        InputRequired("请选择类型"), AnyOf([str(k) for k in CITIZEN_KINDS], message="类型无效")])
    unit_code = StringField("被反映单位", validators=[InputRequired("请选择被反映的单位"), Length(max=32)])
    window_code = StringField("服务窗口（选填）", validators=[Optional(), Length(max=40)])
    description = TextAreaField("情况描述", validators=[InputRequired("请填写情况描述")])
    # No Optional(): it would stop the chain before the inline checks that depend on `anonymous`.
    name = StringField("姓名", validators=[Length(max=30, message="姓名不能超过30字")])
    phone = StringField("手机号", validators=[Length(max=20, message=PHONE_INVALID)])
    anonymous = BooleanField("匿名反映（不留姓名和手机号）")

    unit = window = None

    def validate_unit_code(self, field):
        self.unit = active_unit(field.data)
        if self.unit is None:
            raise ValidationError("请从列表中选择被反映的单位")

    def validate_window_code(self, field):
        if not field.data or self.unit is None:
            return
        self.window = db.session.scalar(sa.select(Window).where(
            Window.code == field.data.strip(), Window.unit_id == self.unit.id, Window.active))
        if self.window is None:
            raise ValidationError("该窗口不属于所选单位")

    def validate_description(self, field):
        limit = current_scheme()["cases"]["description_max_chars"]
        if len(field.data.strip()) > limit:
            raise ValidationError(f"情况描述不能超过{limit}字（现有{len(field.data.strip())}字）")
        if not field.data.strip():
            raise ValidationError("请填写情况描述")

    def validate_name(self, field):
        if not self.anonymous.data and not (field.data or "").strip():
            raise ValidationError("请填写姓名，或选择匿名反映")

    def validate_phone(self, field):
        if self.anonymous.data:
            return
        if not (field.data or "").strip():
            raise ValidationError("请填写手机号，或选择匿名反映")
        if normalise_phone(field.data) is None:
            raise ValidationError(PHONE_INVALID)

    def case_fields(self):
        """Keyword arguments for operations.create_case."""
        anonymous = bool(self.anonymous.data)
        return {"kind": self.kind.data, "unit": self.unit, "window": self.window,
                "description": self.description.data, "anonymous": anonymous,
                "name": None if anonymous else self.name.data.strip(),
                "phone": None if anonymous else normalise_phone(self.phone.data)}


class IntakeForm(CaseFieldsForm):
    attachments = MultipleFileField("图片或PDF附件（选填）")
    consent = BooleanField("我已阅读并同意上述个人信息处理说明",
                           validators=[DataRequired("请阅读并同意个人信息处理说明后提交")])


class NoticeItemForm(Form):
    """One line of a 一次性告知: a missing material and its basis."""

    material = StringField("所缺材料", validators=[Optional(), Length(max=200)])
    basis = StringField("依据", validators=[Optional(), Length(max=300)])


class NoticeItemsMixin:
    """A 一次性告知's lines: each material needs its basis."""

    def validate_notice_items(self, field):
        for entry in field.entries:
            material, basis = (entry.material.data or "").strip(), (entry.basis.data or "").strip()
            if bool(material) != bool(basis):
                raise ValidationError("一次性告知的每项材料都须写明依据")

    def notice_pairs(self):
        return [(e.material.data, e.basis.data) for e in self.notice_items.entries if (e.material.data or "").strip()]


class RecordForm(NoticeItemsMixin, CaseFieldsForm):
    """首问登记: a case taken by phone or in person, recorded by the officer who received it."""

    channel = RadioField("渠道", default="phone", choices=[
        SelectChoice(str(c), CASE_CHANNEL_LABELS[c]) for c in (CaseChannel.phone, CaseChannel.walk_in)])
    answer_given = TextAreaField("已告知来电来访人的内容", validators=[Optional(), Length(max=2000)])
    notice_items = FieldList(FormField(NoticeItemForm), min_entries=3, max_entries=10)


class LookupForm(CheckedForm):
    number = StringField("编号", validators=[InputRequired("请填写编号"), Length(max=20)])
    code = StringField("查询码", validators=[InputRequired("请填写查询码"), Length(max=12)])


class RateForm(CheckedForm):
    rating = RadioField("您对办理结果的评价", choices=RATING_CHOICES, validators=[InputRequired("请选择评价")])


STALE_PAGE = "页面信息不完整或已过期，请刷新页面后重试。"


class ActionForm(CheckedForm):
    """Every staff action posts the version it was shown, so a stale page is refused."""

    # At most 9 ASCII digits: int() of a 5000-digit string raises instead of answering.
    version = HiddenField(validators=[Regexp(r"[0-9]{1,9}\Z", message=STALE_PAGE)])

    def shown_version(self):
        return int(self.version.data)


def _text(label, message, max_chars=2000):
    return TextAreaField(label, validators=[InputRequired(message), Length(max=max_chars)])


class AcceptForm(ActionForm):
    note = TextAreaField("受理意见（选填）", validators=[Optional(), Length(max=1000)])


class DeclineForm(ActionForm):
    reason = _text("不予受理理由（市民可见）", "请填写不予受理的理由", 1000)


class AssignForm(ActionForm):
    unit_code = SelectField("承办单位", validate_choice=False, validators=[InputRequired("请选择承办单位")])
    note = TextAreaField("交办意见（选填）", validators=[Optional(), Length(max=1000)])


class TransferForm(ActionForm):
    unit_code = SelectField("转至单位", validate_choice=False, validators=[InputRequired("请选择单位")])
    note = _text("转办理由", "请填写转办理由", 1000)


class ExtensionForm(ActionForm):
    days = IntegerField("延期工作日数", validators=[InputRequired("请填写天数")])
    reason = _text("延期理由", "请填写延期理由", 1000)

    def validate_days(self, field):
        maximum = current_scheme()["cases"]["extension_max_days"]
        if not 1 <= field.data <= maximum:
            raise ValidationError(f"延期天数须在1至{maximum}个工作日之间")


class UnitReplyForm(ActionForm):
    text = _text("单位答复意见", "请填写单位答复意见")


class NoticeForm(NoticeItemsMixin, ActionForm):
    """一次性告知 on a case being handled: the missing materials, each with its basis (市民可见)."""

    notice_items = FieldList(FormField(NoticeItemForm), label="所缺材料及依据（市民可见，一次告全）",
                             min_entries=3, max_entries=10)


class ReplyForm(ActionForm):
    text = _text("答复内容（市民可见）", "请填写答复内容")


class CloseForm(ActionForm):
    rating = RadioField("回访评价", choices=RATING_CHOICES, validators=[InputRequired("请选择评价")])
    note = _text("回访记录", "请填写回访记录", 1000)


class ReleaseForm(ActionForm):
    reason = _text("提供身份信息的理由", "请填写理由", 1000)


class ExtensionDecisionForm(ActionForm):
    decision = RadioField("审批", choices=[SelectChoice("approve", "批准"), SelectChoice("refuse", "不批准")],
                          validators=[InputRequired("请选择")])
    note = TextAreaField("审批意见", validators=[Optional(), Length(max=1000)])


class RevokeForm(CheckedForm):
    reason = _text("撤销理由", "撤销扣分须填写书面理由", 1000)


class CalendarForm(CheckedForm):
    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(min=2000, max=2100)])
    text = TextAreaField("放假安排（每行一条）", validators=[InputRequired("请粘贴放假安排"), Length(max=5000)])
    note = StringField("文件名称或文号", validators=[Optional(), Length(max=200)])


class QueueForm(CheckedForm):
    """The queue's search and filters, read from the query string (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("搜索", validators=[Optional(), Length(max=60, message="搜索内容不能超过60字")])
    kind = SelectField("类型", default="", validate_choice=False)
    status = SelectField("状态", default="open", validate_choice=False)
    unit = SelectField("单位", default="", validate_choice=False)
    channel = SelectField("渠道", default="", validate_choice=False)
    received_from = DateField("接收日期自", validators=[Optional()])
    received_to = DateField("至", validators=[Optional()])
    due = SelectField("期限", default="", validate_choice=False)
    mine = BooleanField("只看我首问的")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", "全部类型")] + [(str(k), label) for k, label in KIND_LABELS.items()]
        self.status.choices = list(STATUS_GROUPS.items()) + [(str(s), STATUS_LABELS[s]) for s in STATUSES]
        self.unit.choices = unit_choices("全部单位")
        self.channel.choices = [("", "全部渠道")] + [(str(c), label) for c, label in CASE_CHANNEL_LABELS.items()]
        self.due.choices = [("", "不限")] + list(DUE_FILTERS.items())

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        for field in (self.kind, self.status, self.unit, self.channel, self.due):
            if field.data not in {c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices}:
                field.errors = [f"{field.label.text}无效，请从列表中选择"]
                return False
        if self.received_from.data and self.received_to.data and self.received_from.data > self.received_to.data:
            self.received_to.errors = ["结束日期不能早于开始日期"]
            return False
        return True

    def filters(self):
        unit = active_unit(self.unit.data) if self.unit.data else None
        return Filters(text=(self.q.data or "").strip(), kind=self.kind.data, status=self.status.data,
                       unit_id=unit.id if unit else None, channel=self.channel.data,
                       received_from=self.received_from.data, received_to=self.received_to.data, due=self.due.data,
                       mine=bool(self.mine.data))

    def args(self):
        """The filters as query arguments, for page and sort links (empty ones left out)."""
        return {field.name: field.raw_data[0] for field in self if field.raw_data and field.raw_data[0]}
