"""效能告诫 as a workflow: issuing one numbers a 效能告诫书, registers it and deducts the level's points in
the ledger; revoking it (with a reason) revokes the deduction. Operations flush; the request commits."""
import re

import sqlalchemy as sa

from app.audit import operations as audit
from app.documents import operations as document_operations
from app.documents.layout import official
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.pdf import render_pdf
from app.kernel.scheme import current_scheme
from stats.web.models import Adjustment, Admonition, Origin
from stats.web.operations import StatsError

CASE_NUMBER = re.compile(r"^\d{8,20}$")


def levels(scheme=None):
    """{code: level} of the scheme's [admonitions] levels, in the scheme's order."""
    return {level["code"]: level for level in (scheme or current_scheme())["admonitions"]["levels"]}


def _case_numbers(text):
    numbers = [n for n in re.split(r"[\s,，、;；]+", text or "") if n]
    wrong = [n for n in numbers if not CASE_NUMBER.match(n)]
    if wrong:
        raise StatsError(f"投诉件编号应为数字：{'、'.join(wrong[:5])}")
    return numbers


def _paragraphs(admonition, level, rules, scheme):
    who = f"你单位{admonition.official}" if admonition.official else "你单位"
    cases = (f"（涉及效能投诉件{'、'.join(admonition.case_numbers.split(','))}）" if admonition.case_numbers else "")
    return [
        f"经查，{admonition.facts.rstrip('。')}{cases}。",
        f"根据{rules}的有关规定，决定给予{who}{level['measure']}，"
        f"并扣减你单位{admonition.year}年度机关效能建设考核{admonition.points:g}分。",
        f"请你单位认真查找问题根源，切实抓好整改，并于收到本告诫书之日起{scheme['admonitions']['reply_days']}个工作日内"
        f"将整改情况书面报送{scheme['documents']['issuer']}。",
    ]


def _render(admonition, level, scheme, dated, number):
    documents = scheme["documents"]
    title = "效能告诫书" if level["measure"] == "效能告诫" else f"关于给予{level['measure']}的决定"
    doc = official(documents, title=title, dated=dated, number=number, recipients=admonition.unit.name,
                   draft_mark=None)
    doc["copy_to"] = documents.get("copy_to")
    return render_pdf("pdf/admonition.html", doc=doc,
                      paragraphs=_paragraphs(admonition, level, documents["rules_title"], scheme)), title


def issue(*, unit, year, level_code, facts, official_name, case_numbers, dated, actor):
    """Issue an admonition: its numbered document, then the ledger's deduction; returns the Admonition."""
    scheme = current_scheme()
    level = levels(scheme).get(level_code)
    facts = (facts or "").strip()
    if level is None:
        raise StatsError("请选择问责类别。")
    if not facts:
        raise StatsError("请写明查明的事实。")
    admonition = Admonition(unit=unit, unit_id=unit.id, year=year, official=(official_name or "").strip()[:60],
                            level=level["code"], level_label=level["label"], points=float(level["points"]),
                            facts=facts, case_numbers=",".join(_case_numbers(case_numbers)), issued_by_id=actor.id)
    title = _render(admonition, level, scheme, dated, None)[1]
    document = document_operations.issue(
        kind="admonition", title=f"{title}（{unit.name}）", subject=f"admonition:{unit.code}:{year}",
        prefix=scheme["admonitions"]["number_prefix"], year=dated.year, dated=dated, actor=actor,
        render=lambda number: _render(admonition, level, scheme, dated, number)[0])
    admonition.document_id = document.id
    db.session.add(admonition)
    db.session.flush()
    who = f"（{admonition.official}）" if admonition.official else ""
    line = Adjustment(unit_id=unit.id, year=year, amount=-admonition.points, origin=Origin.admonition,
                      origin_ref=f"admonition:{admonition.id}", reason=f"{level['label']}{who}：{facts}"[:1000],
                      evidence=document.code, created_by_id=actor.id, created_at=utcnow())
    db.session.add(line)
    db.session.flush()
    admonition.adjustment_id = line.id
    db.session.flush()
    audit.record("admonition.issue", admonition, actor=actor, details={
        "unit": unit.code, "year": year, "level": level["label"], "amount": line.amount, "document": document.code})
    return admonition


def revoke(admonition, actor, reason):
    """Revoke an admonition and its deduction; the 效能告诫书 stays in the register as issued."""
    reason = (reason or "").strip()
    if admonition.revoked_at is not None:
        raise StatsError("该问责已撤销。", 409)
    if not reason:
        raise StatsError("撤销须填写理由。")
    now = utcnow()
    admonition.revoked_at, admonition.revoked_by_id, admonition.revoke_reason = now, actor.id, reason
    line = admonition.adjustment
    if line is not None and line.revoked_at is None:
        line.revoked_at, line.revoked_by_id, line.revoke_reason = now, actor.id, f"问责撤销：{reason}"
    db.session.flush()
    audit.record("admonition.revoke", admonition, actor=actor, details={"year": admonition.year, "reason": reason})


def admonitions_of(year):
    return db.session.scalars(sa.select(Admonition).where(Admonition.year == year)
                              .order_by(Admonition.issued_at.desc(), Admonition.id.desc())).all()
