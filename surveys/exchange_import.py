"""Import the provincial platform's ratings for our units as responses of channel 'platform'.

The file has the export's fields (docs/exchange.md), as CSV or JSON. Each rating becomes a non-fixed
response of the year's campaign whose overall item(s) carry the rating's level (the other items stay
不了解, so the response scores exactly that level), dated as the platform dated it. Importing is
idempotent by the platform's rating id: a rating imported before is skipped and said so. A record that
cannot be imported is refused with its line and the reason; the others are imported. Ratings that came
from Xiaoneng itself (source xiaoneng, ids XN-…) are refused: they are already here.
"""
import csv
import io
import json
import re
import uuid
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.audit import operations as audit
from app.kernel.clock import SHANGHAI, utcnow
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import current_scheme, level_labels
from app.kernel.text import text_problem
from app.registry.models import Unit, Window
from surveys.exchange import ID_PREFIX, OWN
from surveys.models import Answer, Campaign, Group, PlatformRating, Response, ResponseChannel

REQUIRED = ("rating_id", "unit_code", "level", "rated_on")
TEXT_LIMITS = {"rating_id": 64, "unit_code": 32, "window_code": 40, "handling_status": 20}
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


class ExchangeError(Refusal):
    """An exchange file or import that cannot be taken as a whole."""


def read_records(data, fmt):
    """[(line, record dict)] from the file's bytes; line is the CSV line or the JSON record's number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExchangeError("文件须为 UTF-8 编码") from None
    return _read_csv(text) if fmt == "csv" else _read_json(text)


def _read_csv(text):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or ())]
    if missing:
        raise ExchangeError(f"CSV 文件缺少字段：{'、'.join(missing)}")
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise ExchangeError(f"CSV 文件第{reader.line_num}行无法读取：{error}") from None


def _read_json(text):
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ExchangeError("JSON 文件格式错误") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise ExchangeError("JSON 文件须为评价记录的数组，或含 records 数组的对象")
    return list(enumerate(records, 1))


def _text(record, name):
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _day(value, name):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValueError(f"{name} 须为 YYYY-MM-DD 格式的日期：{value}") from None


def _check(record, year, units, windows, levels):
    """(fields for the response) or raises ValueError with the reason (Chinese) the record is refused."""
    if not isinstance(record, dict):
        raise ValueError("记录须为对象")
    for name, limit in TEXT_LIMITS.items():
        value = _text(record, name)
        if text_problem(value) or len(value) > limit:
            raise ValueError(f"{name} 含有不能保存的字符或超过{limit}个字符")
    rating_id, unit_code, window_code = (_text(record, n) for n in ("rating_id", "unit_code", "window_code"))
    if not rating_id:
        raise ValueError("缺少评价编号（rating_id）")
    if _text(record, "source") == OWN or rating_id.startswith(ID_PREFIX):
        raise ValueError("本系统测评产生的评价，已在本系统中，不作为省级平台评价导入")
    unit = units.get(unit_code)
    if unit is None:
        raise ValueError(f"未知或已停用的单位代码：{unit_code}")
    window = windows.get(window_code) if window_code else None
    if window_code and (window is None or window.unit_id != unit.id):
        raise ValueError(f"窗口 {window_code} 不属于单位 {unit_code}")
    level = _text(record, "level")
    if level not in {str(known) for known in levels}:
        raise ValueError(f"满意度等级须为{'、'.join(map(str, levels))}之一（现行考核方案的量表）：{level}")
    rated_on, rated_time = _day(_text(record, "rated_on"), "rated_on"), _text(record, "rated_time")
    if rated_on is None or rated_on.year != year:
        raise ValueError(f"评价日期不在{year}年度：{rated_on or '（空）'}")
    if rated_time and not _TIME.match(rated_time):
        raise ValueError(f"rated_time 须为 HH:MM:SS 格式的时间：{rated_time}")
    moment = datetime.combine(rated_on, time.fromisoformat(rated_time) if rated_time else time(0), tzinfo=SHANGHAI)
    return {"rating_id": rating_id, "unit": unit, "window": window, "level": int(level),
            "submitted_at": moment.astimezone(timezone.utc).replace(tzinfo=None),
            "handling_status": _text(record, "handling_status"),
            "called_back_on": _day(_text(record, "called_back_on"), "called_back_on"),
            "rectified_on": _day(_text(record, "rectified_on"), "rectified_on")}


def _campaign(year):
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.year == year).order_by(Campaign.id.desc()))
    if campaign is None:
        raise ExchangeError(f"{year}年度没有测评活动，无法导入评价")
    return campaign


def _answered_items(questionnaire):
    """The items that carry a platform rating's level: the overall dimension's, else every item."""
    overall = current_scheme().get("exchange", {}).get("overall_dimension", "")
    return [item for item in questionnaire.items if item.dimension == overall] or list(questionnaire.items)


def _already(rating_ids):
    found = set()
    ids = list(rating_ids)
    for start in range(0, len(ids), 500):  # an IN list of bounded length
        found.update(db.session.scalars(sa.select(PlatformRating.rating_id)
                                        .where(PlatformRating.rating_id.in_(ids[start:start + 500]))))
    return found


def import_records(records, year, actor=None, now=None):
    """Import the [(line, record)] of `year`; returns the report {"read", "imported", "already", "refused":
    [{"line", "rating_id", "reason"}]}. Operations only flush: the caller commits."""
    campaign, now = _campaign(year), now or utcnow()
    questionnaire = campaign.questionnaire_for(Group.nonfixed)
    items = _answered_items(questionnaire)
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.active))}
    windows = {w.code: w for w in db.session.scalars(sa.select(Window))}
    levels = list(level_labels())
    already = _already({_text(r, "rating_id") for _line, r in records if isinstance(r, dict)})
    report, seen = {"read": len(records), "imported": 0, "already": 0, "refused": []}, set()
    for line, record in records:
        try:
            fields = _check(record, year, units, windows, levels)
            if fields["rating_id"] in seen:
                raise ValueError("文件中评价编号重复，只导入第一条")
        except ValueError as error:
            report["refused"].append({"line": line, "rating_id": _text(record, "rating_id")[:64]
                                      if isinstance(record, dict) else "", "reason": str(error)})
            continue
        seen.add(fields["rating_id"])
        if fields["rating_id"] in already:
            report["already"] += 1
            continue
        _add(fields, campaign, questionnaire, items, actor, now)
        report["imported"] += 1
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ExchangeError("另一次导入刚刚写入了相同的评价，请重新导入（已导入的会跳过）。", 409) from None
    audit.record("exchange.import", actor=actor, details={
        "year": year, "read": report["read"], "imported": report["imported"], "already": report["already"],
        "refused": len(report["refused"])})
    return report


def _add(fields, campaign, questionnaire, items, actor, now):
    response = Response(
        public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=fields["unit"].id,
        window_id=fields["window"].id if fields["window"] else None, group=Group.nonfixed,
        questionnaire_id=questionnaire.id, channel=ResponseChannel.platform, submitted_at=fields["submitted_at"])
    response.answers = [Answer(item_id=item.id, level=fields["level"]) for item in items]
    db.session.add(response)
    db.session.add(PlatformRating(response=response, rating_id=fields["rating_id"], imported_at=now,
                                  imported_by_id=actor.id if actor else None,
                                  handling_status=fields["handling_status"],
                                  called_back_on=fields["called_back_on"], rectified_on=fields["rectified_on"]))
