"""The audit page's filters, read from the query string."""
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from app.audit.actions import ACTIONS, OBJECT_TYPES
from app.kernel.forms import CheckedForm


class AuditFilterForm(CheckedForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    who = StringField("操作人（用户名）", validators=[Optional(), Length(max=64, message="用户名不超过64个字符")])
    action = SelectField("操作", validators=[Optional()],
                         choices=[SelectChoice("", "全部")] + [SelectChoice(c, l) for c, l in ACTIONS.items()])
    object_type = SelectField("对象类别", validators=[Optional()],
                              choices=[SelectChoice("", "全部")] + [SelectChoice(c, l) for c, l in OBJECT_TYPES.items()])
    object_id = StringField("对象序号", validators=[Optional(), Length(max=64, message="序号不超过64个字符")])
    since = DateField("起始日期", validators=[Optional()], format="%Y-%m-%d")
    until = DateField("截止日期（含）", validators=[Optional()], format="%Y-%m-%d")

    def filters(self):
        return {"who": (self.who.data or "").strip(), "action": self.action.data or "",
                "object_type": self.object_type.data or "", "object_id": (self.object_id.data or "").strip()}
