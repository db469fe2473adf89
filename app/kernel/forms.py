"""The base form every form of the app derives from: text is checked before any other validator."""
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField
from wtforms.validators import ValidationError

from app.kernel.privacy import normalise_phone
from app.kernel.text import text_problem

PHONE_INVALID = "请填写11位中国大陆手机号码"


class CheckedForm(FlaskForm):
    """A form whose text (any field, nested ones too) is checked by text_problem first.

    A refused field gets the message; the other checks do not run, because some
    of them query the database (a unit code with NUL is a DataError on PostgreSQL).
    """

    def validate(self, extra_validators=None):
        refused = {field: problem for field in self if (problem := _first_problem(field))}
        for field, problem in refused.items():
            field.errors = [problem]
        return not refused and super().validate(extra_validators)


def _first_problem(field):
    return next(filter(None, map(text_problem, _texts(field))), None)


def _texts(field):
    """Every string a field received, walking into FieldList and FormField entries."""
    if isinstance(field, (FieldList, FormField)):
        for entry in field:
            yield from _texts(entry)
        return
    yield from (value for value in field.raw_data or () if isinstance(value, str))
    if isinstance(field.data, str):
        yield field.data


def error_attrs(field):
    """The attributes that tie a field to its error list, which templates render with the id
    `<field id>-error`: a screen reader then reads the message with the field. Empty without errors."""
    if not field.errors:
        return {}
    return {"aria-invalid": "true", "aria-describedby": f"{field.id}-error"}


def mobile_phone(_form, field):
    """Validator: an optional field that, when filled, holds a mainland mobile number."""
    if field.data and field.data.strip() and normalise_phone(field.data) is None:
        raise ValidationError(PHONE_INVALID)
