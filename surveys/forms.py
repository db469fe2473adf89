"""Survey forms. The questionnaire form is built per questionnaire version."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from surveys.models import LEVEL_LABELS, UNKNOWN_LABEL

UNKNOWN = "0"  # the form's value for 不了解; stored as NULL


class QuestionnaireForm(FlaskForm):
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
            "意见和建议(选填)",
            validators=[Optional(), Length(max=comment_max, message=f"意见和建议不能超过{comment_max}字")],
        )

    for item in questionnaire.items:
        choices = [SelectChoice(str(level), label) for level, label in LEVEL_LABELS.items()]
        if item.allow_unknown:
            choices.append(SelectChoice(UNKNOWN, UNKNOWN_LABEL))
        required = item.required and not item.allow_unknown
        validators = [InputRequired(message="请选择一项")] if required else [Optional()]
        setattr(Form, f"item_{item.id}", RadioField(item.text, choices=choices, validators=validators,
                                                    description=item.dimension))
    for name, field in (extra or {}).items():
        setattr(Form, name, field)
    return Form(formdata=formdata) if formdata is not None else Form()


class PaperEntryTarget(FlaskForm):
    """The first step of paper entry: which unit, window and group the sheet is for."""

    unit = SelectField("被考核单位", validators=[InputRequired()])
    window = SelectField("服务窗口", validators=[Optional()])
    group = SelectField("服务对象类别", choices=[SelectChoice("nonfixed", "非固定服务对象"),
                                               SelectChoice("fixed", "固定服务对象")])
