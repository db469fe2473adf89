"""申诉复核: a unit's liaison appeals a 差评 of the unit within the scheme's working days ([appeals] days,
counted on the holiday calendar, asked of the case domain by signal), with a reason and evidence; the
office decides once. Upheld: the rating is left out of every later score run (screening reason
appeal_upheld) and the screening review shows the decision and who made it. Rejected: final. Lodging and
deciding are audited; the decision is sent to the unit (the outbox, by signal).

Only ratings by non-fixed respondents can be appealed: showing a unit the day and the low marks an invited
enterprise gave it would point at the enterprise. The unit sees of a rating its day, window and the badly
rated items — never the comment.
"""
import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel.clock import chinese_date, local_date, utcnow
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import current_scheme
from app.kernel.text import text_problem
from stats.web.models import Appeal, AppealAttachment, AppealStatus
from stats.web.signals import unit_notice_wanted, working_day_wanted
from surveys.models import Answer, Campaign, Group, Response

SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
# Wide enough for any run of holidays: ratings older than this cannot still be within the limit.
LOOKBACK_DAYS = 40


class AppealError(Refusal):
    """An appeal that cannot be lodged or decided."""


def _rules():
    return current_scheme()["appeals"]


def due_on(day, cache=None):
    """The last day an appeal against a rating of `day` may be lodged."""
    cache = {} if cache is None else cache
    if day not in cache:
        answers = [due for _receiver, due in working_day_wanted.send(None, start=day, days=_rules()["days"])]
        cache[day] = answers[0]
    return cache[day]


def bad_items(response):
    """The items the rating gave a bad level, in questionnaire order."""
    bad = current_scheme()["survey"]["bad_levels"]
    return [answer.item for answer in sorted(response.answers, key=lambda a: (a.item.position, a.item_id))
            if answer.level in bad]


def appealable(unit, today):
    """The unit's non-fixed 差评 still open to appeal: [{"response", "day", "due", "items"}], newest first."""
    bad = current_scheme()["survey"]["bad_levels"]
    is_bad = sa.exists().where(Answer.response_id == Response.id, Answer.level.in_(bad))
    appealed = sa.exists().where(Appeal.response_id == Response.id)
    since = datetime.combine(today - timedelta(days=LOOKBACK_DAYS), datetime.min.time())
    stmt = (sa.select(Response).where(Response.unit_id == unit.id, Response.group == Group.nonfixed, is_bad,
                                      ~appealed, Response.submitted_at >= since)
            .order_by(Response.submitted_at.desc()))
    rows, cache = [], {}
    for response in db.session.scalars(stmt):
        day = local_date(response.submitted_at)
        if due_on(day, cache) >= today:
            rows.append({"response": response, "day": day, "due": due_on(day, cache), "items": bad_items(response)})
    return rows


def unit_appeals(unit):
    stmt = sa.select(Appeal).where(Appeal.unit_id == unit.id).order_by(Appeal.lodged_at.desc())
    return db.session.scalars(stmt).all()


def pending_appeals():
    return db.session.scalars(sa.select(Appeal).where(Appeal.status == AppealStatus.pending)
                              .order_by(Appeal.due_on, Appeal.id)).all()


def _evidence(files):
    """[(name, mimetype, bytes)] after the scheme's count and size limits and a type check by content."""
    rules = _rules()
    files = [(name, data) for name, data in files if data]
    if len(files) > rules["attachment_max_count"]:
        raise AppealError(f"证明材料最多{rules['attachment_max_count']}个文件")
    checked = []
    for name, data in files:
        if len(data) > rules["attachment_max_mb"] * 1024 * 1024:
            raise AppealError(f"文件“{name}”超过{rules['attachment_max_mb']}MB")
        kind = next((mime for head, mime in SIGNATURES.items() if data.startswith(head)), None)
        if kind is None:
            raise AppealError(f"文件“{name}”不是 PDF、JPG 或 PNG 文件")
        clean = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120]
        checked.append((clean if clean and not text_problem(clean) else "证明材料", kind, data))
    return checked


def lodge(unit, public_id, user, reason, files, today):
    """Lodge the unit's appeal against its rating `public_id`; refused unless it is an appealable 差评
    of the unit, within the limit and not appealed before. Returns the appeal."""
    response = db.session.scalar(sa.select(Response).where(Response.public_id == public_id,
                                                           Response.unit_id == unit.id))
    if response is None or response.group != Group.nonfixed or not bad_items(response):
        raise AppealError("未找到本单位可申诉的该条差评", 404)
    if db.session.scalar(sa.select(Appeal.id).where(Appeal.response_id == response.id)):
        raise AppealError("该条差评已申诉过，不能重复申诉", 409)
    due = due_on(local_date(response.submitted_at))
    if today > due:
        raise AppealError(f"已超过申诉期限（{chinese_date(due)}），不能申诉", 409)
    reason = (reason or "").strip()
    if not reason:
        raise AppealError("请写明申诉理由")
    evidence = _evidence(files)
    year = db.session.scalar(sa.select(Campaign.year).where(Campaign.id == response.campaign_id))
    appeal = Appeal(response_id=response.id, unit_id=unit.id, year=year, reason=reason, lodged_by_id=user.id,
                    lodged_at=utcnow(), due_on=due, status=AppealStatus.pending)
    appeal.attachments = [AppealAttachment(filename=name, mimetype=kind, sha256=hashlib.sha256(data).hexdigest(),
                                           data=data) for name, kind, data in evidence]
    db.session.add(appeal)
    db.session.flush()
    audit.record("appeal.lodge", appeal, actor=user, details={"unit": unit.code, "response": public_id,
                                                              "count": len(evidence)})
    return appeal


def decide(appeal, user, upheld, note):
    """The office's one decision; tells the unit. An upheld appeal counts from the next score run."""
    if appeal.status != AppealStatus.pending:
        raise AppealError(f"该申诉已复核（{appeal.status_label}），复核结论为最终结论", 409)
    note = (note or "").strip()
    if not note:
        raise AppealError("请写明复核意见")
    appeal.status = AppealStatus.upheld if upheld else AppealStatus.rejected
    appeal.decided_by_id, appeal.decided_at, appeal.decision_note = user.id, utcnow(), note
    db.session.flush()
    audit.record("appeal.uphold" if upheld else "appeal.reject", appeal, actor=user,
                 details={"unit": appeal.unit.code, "response": appeal.response.public_id, "note": note})
    outcome = "成立，该条评价不再计入测评得分" if upheld else "不成立，维持该条评价"
    text = (f"【效能办】贵单位对{chinese_date(local_date(appeal.lodged_at))}提出的差评申诉（评价日期"
            f"{chinese_date(local_date(appeal.response.submitted_at))}）经复核{outcome}。复核意见：{note}")
    unit_notice_wanted.send(None, unit_id=appeal.unit_id, text=text, key=f"appeal:{appeal.id}")
    return appeal


def upheld_ids(year):
    """Public ids of the year's ratings whose appeal was upheld, sorted (a run's input)."""
    return sorted(db.session.scalars(sa.select(Response.public_id).join(Appeal, Appeal.response_id == Response.id)
                                     .where(Appeal.year == year, Appeal.status == AppealStatus.upheld)))


def upheld_by_response(year):
    """{public id: appeal} of the year's upheld appeals, for the screening review."""
    rows = db.session.execute(sa.select(Response.public_id, Appeal).join(Appeal, Appeal.response_id == Response.id)
                              .where(Appeal.year == year, Appeal.status == AppealStatus.upheld))
    return {public_id: appeal for public_id, appeal in rows}

