"""The one check on text from outside: what the database cannot store safely is refused, never stored.

PostgreSQL refuses a NUL character outright (a 500 if it reaches a query), the
other C0 control characters have no business in a complaint, and a lone
surrogate (possible from JSON's "\\ud800") cannot be encoded as UTF-8 at all.
Tab, line feed and carriage return are ordinary text. Used by every form
(app.forms.CheckedForm), the JSON API's field parsing and look-ups by number.
"""
import re

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_MESSAGE = "含有不可见的控制字符（如空字符），请删除后重新填写。"
ENCODING_MESSAGE = "含有无法识别的字符（无效的 Unicode 编码），请删除后重新填写。"


def text_problem(text):
    """The message explaining why `text` is refused, or None if it is acceptable."""
    if CONTROL.search(text):
        return CONTROL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return ENCODING_MESSAGE
    return None


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n):
    """1–99 in Chinese numerals, as in 第一类, 第十二条 (larger numbers stay Arabic)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _DIGITS[tens]) + "十" if tens else "") + (_DIGITS[ones] if ones else "")


# A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return) as a formula, and skips
# leading blanks when it decides.
_FORMULA_STARTS = ("=", "+", "-", "@")
_FORMULA_CONTROLS = ("\t", "\r")


def spreadsheet_safe(value):
    """Text defused for a CSV/XLSX cell with a leading apostrophe; other values as they are."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_CONTROLS) or value.lstrip().startswith(_FORMULA_STARTS):
        return "'" + value
    return value
