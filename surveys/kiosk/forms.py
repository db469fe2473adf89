"""Forms of the hall pads: the admin's code for a window, the code typed on the pad, a revocation."""
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.kernel.forms import CheckedForm


class IssueCodeForm(CheckedForm):
    window = SelectField("服务窗口", validators=[InputRequired(message="请选择服务窗口")])
    name = StringField("平板名称", description="便于区分同一窗口的多台平板，例如“1号窗口台面”",
                       validators=[DataRequired(message="请填写平板名称"), Length(max=60, message="名称不能超过60字")])


class EnrolForm(CheckedForm):
    code = StringField("启用码", validators=[DataRequired(message="请输入管理员提供的启用码"),
                                          Length(max=40, message="启用码不正确，请核对后重新输入。")])


class RevokeForm(CheckedForm):
    """Only the CSRF token: the pad is in the address."""
