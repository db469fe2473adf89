"""Staff-side survey rules and writes: campaigns, questionnaire editing, fixed-respondent lists,
invitation status, paper entry. Operations flush; the request boundary commits."""
import csv
import io
import math
import secrets

import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel.db import upsert
from app.kernel.extensions import db
from app.registry.models import Unit, Window
from surveys.models import (GROUP_LABELS, Campaign, FixedRespondent, Group, Invitation, Item, Questionnaire,
                            Response)
from surveys.operations import SurveyError, issue_invitations as issue_new_invitations, revise_questionnaire, \
    token_hash

RESPONDENT_KINDS = {"enterprise": "企业", "body": "机关团体", "person": "个人"}
RESPONDENT_COLUMNS = ("name", "kind", "contact")


def save_campaign(campaign, *, year, name, opens_on, closes_on, fixed_questionnaire, nonfixed_questionnaire,
                  actor=None):
    """Create (campaign None) or update a campaign; refuses overlapping dates; `actor` is recorded.
    Flushes only."""
    if opens_on > closes_on:
        raise SurveyError("开始日期不能晚于结束日期。")
    for questionnaire, group in ((fixed_questionnaire, Group.fixed), (nonfixed_questionnaire, Group.nonfixed)):
        if questionnaire is None or questionnaire.group != group:
            raise SurveyError(f"请为{GROUP_LABELS[group]}选择该组别的问卷。")
    # One campaign per day: a window's QR code must lead to exactly one questionnaire.
    stmt = sa.select(Campaign).where(Campaign.opens_on <= closes_on, Campaign.closes_on >= opens_on)
    if campaign is not None:
        stmt = stmt.where(Campaign.id != campaign.id)
    overlap = db.session.scalar(stmt.limit(1))
    if overlap is not None:
        raise SurveyError(f"日期与测评活动“{overlap.name}”重叠，同一天只能有一个测评活动。", 409)
    action, before = ("campaign.create", {}) if campaign is None else ("campaign.edit", _campaign_fields(campaign))
    campaign = campaign or Campaign()
    campaign.year, campaign.name, campaign.opens_on, campaign.closes_on = year, name.strip(), opens_on, closes_on
    campaign.fixed_questionnaire_id = fixed_questionnaire.id
    campaign.nonfixed_questionnaire_id = nonfixed_questionnaire.id
    db.session.add(campaign)
    db.session.flush()
    after = _campaign_fields(campaign)
    audit.record(action, campaign, actor=actor, details={"name": campaign.name, "year": year,
                                                         "changes": audit.changes(before, after) if before else {}})
    return campaign


def _campaign_fields(campaign):
    return {"year": campaign.year, "name": campaign.name, "opens_on": campaign.opens_on.isoformat(),
            "closes_on": campaign.closes_on.isoformat(), "fixed_questionnaire": campaign.fixed_questionnaire_id,
            "nonfixed_questionnaire": campaign.nonfixed_questionnaire_id}


def latest_version(code):
    return db.session.scalar(sa.select(sa.func.max(Questionnaire.version)).where(Questionnaire.code == code))


def check_item_specs(items):
    if not items:
        raise SurveyError("问卷至少需要一道题目。")
    codes = [spec["code"] for spec in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise SurveyError(f"题目代码重复：{'、'.join(duplicates)}")
    if not all(math.isfinite(spec["weight"]) and spec["weight"] > 0 for spec in items):
        raise SurveyError("题目权重须大于0。")


def create_questionnaire(*, code, group, title, items, actor=None):
    if not code:
        raise SurveyError("请填写问卷代码。")
    if latest_version(code) is not None:
        raise SurveyError(f"问卷代码 {code} 已存在。", 409)
    check_item_specs(items)
    questionnaire = Questionnaire(code=code, version=1, group=str(group), title=title.strip())
    questionnaire.items = [Item(position=i, **spec) for i, spec in enumerate(items)]
    db.session.add(questionnaire)
    db.session.flush()
    audit.record("questionnaire.create", questionnaire, actor=actor, details=_questionnaire_details(questionnaire))
    return questionnaire


def edit_questionnaire(questionnaire, *, title, items, actor=None):
    """Edit the latest version: in place while unanswered, else a new version (see revise_questionnaire)."""
    if questionnaire.version != latest_version(questionnaire.code):
        raise SurveyError("历史版本不能修改，请修改最新版本。", 409)
    check_item_specs(items)
    current = revise_questionnaire(questionnaire, items)
    current.title = title.strip()
    db.session.flush()
    action = "questionnaire.edit" if current.id == questionnaire.id else "questionnaire.revise"
    audit.record(action, current, actor=actor, details=_questionnaire_details(current))
    return current


def _questionnaire_details(questionnaire):
    return {"code": questionnaire.code, "version": questionnaire.version, "title": questionnaire.title,
            "items": len(questionnaire.items)}


def read_fixed_respondents(data):
    """Parse `name,kind,contact` CSV bytes (UTF-8, BOM optional); every row is checked before any is stored."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        missing = {"name", "kind"} - set(reader.fieldnames or ())
        if missing:
            raise SurveyError(f"CSV 缺少列：{', '.join(sorted(missing))}（应为 name,kind,contact）")
        rows, seen = [], set()
        for line, row in enumerate(reader, start=2):
            rows.append(_respondent_row(line, row, seen))
    except UnicodeDecodeError:
        raise SurveyError("文件不是 UTF-8 编码，请在表格软件中另存为“CSV UTF-8”。") from None
    except csv.Error as error:
        raise SurveyError(f"第{reader.line_num}行：CSV 格式错误（{error}）") from None
    if not rows:
        raise SurveyError("文件中没有服务对象。")
    return rows


def _respondent_row(line, row, seen):
    name, kind = (row.get("name") or "").strip(), (row.get("kind") or "").strip()
    contact = (row.get("contact") or "").strip()
    kinds_by_label = {label: code for code, label in RESPONDENT_KINDS.items()}
    kind = kinds_by_label.get(kind, kind)
    if not name:
        raise SurveyError(f"第{line}行：名称不能为空")
    if len(name) > 200 or len(contact) > 100:
        raise SurveyError(f"第{line}行：名称不能超过200字，联系方式不能超过100字")
    if kind not in RESPONDENT_KINDS:
        raise SurveyError(f"第{line}行：类型应为 enterprise、body 或 person（企业、机关团体、个人），而不是“{kind}”")
    if name in seen:
        raise SurveyError(f"第{line}行：“{name}”重复")
    seen.add(name)
    return {"name": name, "kind": kind, "contact": contact}


def import_fixed_respondents(unit, rows, actor=None):
    """Add new respondents and update changed ones by name; never deletes. Returns (created, updated)."""
    existing = {r.name: r for r in db.session.scalars(sa.select(FixedRespondent).where(FixedRespondent.unit_id == unit.id))}
    created, updated = upsert(existing, rows, "name", lambda row: FixedRespondent(unit_id=unit.id, **row))
    audit.record("respondents.import", unit, actor=actor, details={"unit": unit.code, "created": created,
                                                                 "updated": updated})
    return created, updated


def issue_invitations(campaign, unit, *, reissue=False, actor=None):
    """Tokens for the unit's respondents without one, and with `reissue` new tokens for unused ones first
    (tokens issued now are not replaced at once); returns [(respondent, token)] and records how many."""
    reissued = reissue_unused_invitations(campaign, unit) if reissue else []
    issued = reissued + issue_new_invitations(campaign, unit)
    if issued:
        audit.record("invitation.reissue" if reissued else "invitation.issue", campaign, actor=actor, details={
            "unit": unit.code, "count": len(issued), "reissued": len(reissued)})
    return issued


def mask_contact(contact):
    """Enough to recognise a contact, not to use it: 138****5678, z***@example.cn, 张**."""
    contact = contact.strip()
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    if sum(char.isdigit() for char in contact) >= 7:
        return f"{contact[:3]}****{contact[-4:]}"
    return contact[:1] + "*" * min(len(contact) - 1, 6) if contact else ""


def invitation_status(campaign, unit):
    """{respondent_id: "invited" | "used"} for a unit's respondents; says nothing about which response."""
    stmt = (
        sa.select(Invitation.fixed_respondent_id, Invitation.used)
        .join(FixedRespondent, FixedRespondent.id == Invitation.fixed_respondent_id)
        .where(Invitation.campaign_id == campaign.id, FixedRespondent.unit_id == unit.id)
    )
    return {rid: "used" if used else "invited" for rid, used in db.session.execute(stmt)}


def reissue_unused_invitations(campaign, unit):
    """New tokens for a unit's unused invitations (the old links stop working); returns [(respondent, token)]."""
    stmt = (
        sa.select(Invitation).join(FixedRespondent, FixedRespondent.id == Invitation.fixed_respondent_id)
        .where(Invitation.campaign_id == campaign.id, FixedRespondent.unit_id == unit.id,
               Invitation.used.is_(False))
        .order_by(FixedRespondent.id)
    )
    issued = []
    for invitation in db.session.scalars(stmt):
        token = secrets.token_urlsafe(24)
        invitation.token_hash = token_hash(token)
        issued.append((invitation.fixed_respondent, token))
    db.session.flush()
    return issued


def paper_target(unit_code, window_code, group):
    """Check the unit, optional window and group a paper sheet is for; returns (unit, window, group)."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == (unit_code or "")))
    if unit is None or not unit.active:
        raise SurveyError("请选择有效的被考核单位。")
    window = None
    if window_code:
        window = db.session.scalar(sa.select(Window).where(Window.code == window_code))
        if window is None or window.unit_id != unit.id:
            raise SurveyError("所选服务窗口不属于该单位。")
    if group not in (Group.fixed, Group.nonfixed):
        raise SurveyError("请选择服务对象类别。")
    return unit, window, Group(group)


# --- What the staff pages show ---------------------------------------------------------------------

def campaigns():
    """Every campaign, the latest first."""
    return db.session.scalars(sa.select(Campaign).order_by(Campaign.opens_on.desc())).all()


def campaign_by_id(choice):
    """The campaign a form or link names by id (text), or None."""
    return db.session.get(Campaign, int(choice)) if str(choice or "").isdigit() else None


def questionnaires_of(group):
    """A group's questionnaires, each code's versions newest first."""
    return db.session.scalars(sa.select(Questionnaire).where(Questionnaire.group == group).order_by(
        Questionnaire.code, Questionnaire.version.desc())).all()


def questionnaire_by_id(choice):
    return db.session.get(Questionnaire, int(choice)) if str(choice or "").isdigit() else None


def questionnaire_overview():
    """For the questionnaire list: every version, the ids with answers, the campaigns using each, and each
    code's latest version."""
    rows = db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version.desc())).all()
    used_by = {}
    for campaign in campaigns():
        for questionnaire_id in (campaign.fixed_questionnaire_id, campaign.nonfixed_questionnaire_id):
            used_by.setdefault(questionnaire_id, []).append(campaign)
    return {"questionnaires": rows, "used_by": used_by, "latest": {q.code: q.version for q in reversed(rows)},
            "answered": set(db.session.scalars(sa.select(Response.questionnaire_id).distinct()))}


def unit_by_code(code):
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def window_by_code(code):
    return db.session.scalar(sa.select(Window).where(Window.code == code))


def invitation_overview(campaign):
    """Every unit with its number of fixed respondents and, for `campaign`, (invitations, used) per unit id."""
    respondents = dict(db.session.execute(
        sa.select(FixedRespondent.unit_id, sa.func.count(FixedRespondent.id)).group_by(FixedRespondent.unit_id)).all())
    invited = {}
    if campaign is not None:
        stmt = (sa.select(FixedRespondent.unit_id, sa.func.count(Invitation.id),
                          sa.func.count(Invitation.id).filter(Invitation.used.is_(True)))
                .join(Invitation, Invitation.fixed_respondent_id == FixedRespondent.id)
                .where(Invitation.campaign_id == campaign.id).group_by(FixedRespondent.unit_id))
        invited = {unit_id: (n, used) for unit_id, n, used in db.session.execute(stmt)}
    units = db.session.scalars(sa.select(Unit).order_by(Unit.category, Unit.code)).all()
    return {"units": units, "respondents": respondents, "invited": invited}


def respondents_of(unit):
    return db.session.scalars(sa.select(FixedRespondent).where(FixedRespondent.unit_id == unit.id)
                              .order_by(FixedRespondent.id)).all()


def paper_windows():
    """The active windows of active units, for the paper-entry form."""
    return db.session.scalars(sa.select(Window).join(Unit).where(Unit.active, Window.active)
                              .order_by(Unit.category, Unit.code, Window.code)).all()
