"""Default questionnaires, a window per unit and a demo campaign, loaded idempotently."""
from datetime import date

import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import Unit, Window
from surveys.models import Campaign, Item, Questionnaire

# (code, text, dimension, weight, allow_unknown). The 好差评 offline indicators (整体满意, 服务效率,
# 服务水平, 服务态度) with 廉洁自律 and 公开透明 for this assessment; every item but the overall one offers
# 不了解, since a walk-in cannot always judge it (a blank there is no answer, not a bad one).
NONFIXED_ITEMS = [
    ("attitude", "工作人员的服务态度（热情、耐心、文明用语）", "服务态度", 1.0, True),
    ("efficiency", "办事效率（等候时间、办理速度）", "办事效率", 1.0, True),
    ("competence", "服务水平（业务熟练，一次讲清办事要求和所需材料）", "服务水平", 1.0, True),
    ("openness", "公开透明（办事指南、收费标准和办理进度公开、清楚）", "公开透明", 1.0, True),
    ("integrity", "工作人员廉洁自律（无吃拿卡要）", "廉洁自律", 1.0, True),
    ("overall", "对本次办事的总体评价", "总体评价", 2.0, False),
]
FIXED_ITEMS = [
    ("attitude", "服务态度", "服务态度", 1.0, True),
    ("efficiency", "办事效率与限时办结", "办事效率", 1.0, True),
    ("competence", "服务水平（首问负责、一次性告知落实情况）", "服务水平", 1.0, True),
    ("lawful", "依法行政（按法定权限、程序和依据办事）", "依法行政", 1.0, True),
    ("openness", "公开透明（政策、办事程序和依据、办理结果公开）", "公开透明", 1.0, True),
    ("integrity", "廉洁自律", "廉洁自律", 1.0, True),
    ("overall", "对该单位机关效能建设的总体评价", "总体评价", 2.0, False),
]


def default_questionnaire(code, group, title, specs):
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.code == code)
                                      .order_by(Questionnaire.version.desc()))
    if questionnaire is not None:
        return questionnaire
    questionnaire = Questionnaire(code=code, version=1, group=group, title=title)
    questionnaire.items = [
        Item(code=c, text=t, dimension=d, weight=w, allow_unknown=u, position=i)
        for i, (c, t, d, w, u) in enumerate(specs)
    ]
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def load_demo(year):
    """One window per unit and a campaign open all `year`; returns what was created."""
    created = {"windows": 0, "campaigns": 0}
    known = set(db.session.scalars(sa.select(Window.code)))
    for unit in db.session.scalars(sa.select(Unit).order_by(Unit.code)):
        code = f"{unit.code}-W1"
        if code not in known:
            db.session.add(Window(unit_id=unit.id, code=code, name="综合服务窗口"))
            created["windows"] += 1
    nonfixed = default_questionnaire("nonfixed-default", "nonfixed", "服务窗口满意度测评", NONFIXED_ITEMS)
    fixed = default_questionnaire("fixed-default", "fixed", "固定服务对象满意度测评", FIXED_ITEMS)
    if db.session.scalar(sa.select(Campaign).where(Campaign.year == year)) is None:
        db.session.add(Campaign(year=year, name=f"{year}年度服务对象测评", opens_on=date(year, 1, 1),
                                closes_on=date(year, 12, 31), fixed_questionnaire_id=fixed.id,
                                nonfixed_questionnaire_id=nonfixed.id))
        created["campaigns"] += 1
    db.session.flush()
    return created
