"""The fields of a finished service: as the API's JSON (strings) and as the staff page's form."""
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.kernel.forms import CheckedForm, mobile_phone

REQUIRED = "必填"


def _text(label, maximum):
    return StringField(label, validators=[DataRequired(message=REQUIRED), Length(max=maximum, message=f"不能超过{maximum}个字符")])


class ServiceFields(CheckedForm):
    """What every registration gives, whoever sends it."""

    matter_code = _text("事项编码", 64)
    matter_name = _text("事项名称", 200)
    case_number = _text("办件编号", 64)
    officer_number = _text("经办人员工号", 32)
    finished_at = StringField("办结时间", validators=[DataRequired(message=REQUIRED), Length(max=40)])
    mobile = StringField("服务对象手机号（选填）", validators=[Optional(), Length(max=20), mobile_phone])
    callback_consent = BooleanField("服务对象同意在给出差评时接受回访")

    def service_fields(self):
        return {"matter_code": self.matter_code.data.strip(), "matter_name": self.matter_name.data.strip(),
                "case_number": self.case_number.data.strip(), "officer_number": self.officer_number.data.strip(),
                "phone": (self.mobile.data or "").strip() or None, "consent": bool(self.callback_consent.data)}


class ApiServiceForm(ServiceFields):
    """POST /api/v1/services: the unit and window by code."""

    unit_code = _text("单位代码", 32)
    window_code = _text("窗口代码", 40)


class StaffServiceForm(ServiceFields):
    """The window officer's page: one of the unit's windows; the finish time from a datetime-local input."""

    window = SelectField("服务窗口", validators=[DataRequired(message="请选择服务窗口")])
