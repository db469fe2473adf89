"""Statisticians' inputs: imported parts, the adjustment ledger (with the overdue-case feed) and
reinstated responses. Operations flush; the request boundary commits."""
import csv
import io

import sqlalchemy as sa

from app.audit import operations as audit
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.kernel.refusals import Refusal
from app.registry.models import Unit, Window
from stats.screening import NOT_REINSTATABLE
from stats.totals import capped, ledger_sums, validate_parts
from stats.web.inputs import ledger_rows, parts_rows, registry_units
from stats.web.models import Adjustment, Origin, PartScore, Reinstatement
from stats.web.signals import overdue_deductions_wanted
from surveys.models import Campaign, Response

PARTS_REQUIRED = ("unit_code", "part", "points")  # source and note may be left out


class StatsError(Refusal):
    """A refused action of the statisticians' pages; `errors` lists details, one per row."""


# --- Parts (考核项目分值) -------------------------------------------------------------------------

def decode_upload(data):
    """Text of an uploaded CSV: UTF-8 (with or without BOM), else GB18030 as Excel saves it in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatsError("文件编码无法识别，请另存为 UTF-8 编码的 CSV 文件。")


def read_parts_csv(text):
    """Rows of a parts CSV as dicts; row i is on line i + 2. Structural problems name their line."""
    lines = list(csv.reader(io.StringIO(text)))
    header = [name.strip() for name in (lines[0] if lines else [])]
    missing = [name for name in PARTS_REQUIRED if name not in header]
    if missing:
        raise StatsError("CSV 文件格式不对", errors=[f"第1行：缺少列 {', '.join(missing)}"])
    body = lines[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()  # editors leave blank lines at the end
    errors = []
    for line, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            errors.append(f"第{line}行：空行")
        elif len(row) != len(header):
            errors.append(f"第{line}行：应有 {len(header)} 列，实际为 {len(row)} 列")
    if errors:
        raise StatsError("CSV 文件格式不对", errors=errors)
    if not body:
        raise StatsError("文件中没有数据行。")
    return [dict(zip(header, row)) for row in body]


def import_parts(text, filename, year, user, scheme):
    """Check every row against the registry and the scheme's maxima; store all rows or none.

    A (unit, year, part) imported again is replaced. A blank source is recorded as the file's name.
    Returns (created, updated).
    """
    rows = read_parts_csv(text)
    errors = validate_parts(rows, registry_units(), scheme)
    if errors:
        raise StatsError(f"导入失败：{len(errors)} 行有误，未导入任何数据。", errors=errors)
    unit_ids = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
    existing = {(p.unit_id, p.part): p for p in
                db.session.scalars(sa.select(PartScore).where(PartScore.year == year))}
    created = updated = 0
    # user.id is read before the loop: loading an expired user would autoflush a half-filled row
    now, user_id = utcnow(), user.id
    for row in rows:
        unit_id, part = unit_ids[row["unit_code"].strip()], row["part"].strip()
        score = existing.get((unit_id, part))
        if score is None:
            score = PartScore(unit_id=unit_id, year=year, part=part)
            db.session.add(score)
            created += 1
        else:
            updated += 1
        score.points = float(row["points"])
        score.source = ((row.get("source") or "").strip() or filename or "导入文件")[:200]
        score.note = (row.get("note") or "").strip()
        score.imported_by_id, score.imported_at = user_id, now
    db.session.flush()
    audit.record("parts.import", actor=user, details={"year": year, "file": filename or "", "created": created,
                                                      "updated": updated})
    return created, updated


# --- Adjustment ledger (加减分) --------------------------------------------------------------------

def add_adjustment(unit, year, amount, reason, evidence, user):
    """A manual ledger line; the scheme's caps are applied when totals are computed, not here."""
    reason, evidence = (reason or "").strip(), (evidence or "").strip()
    if not amount:
        raise StatsError("加减分分值不能为 0。")
    if not reason or not evidence:
        raise StatsError("加减分须写明事由和依据。")
    line = Adjustment(unit_id=unit.id, year=year, amount=float(amount), reason=reason, evidence=evidence[:300],
                      origin=Origin.manual, created_by_id=user.id, created_at=utcnow())
    db.session.add(line)
    db.session.flush()
    audit.record("adjustment.add", line, actor=user, details={"unit": unit.code, "year": year, "amount": line.amount,
                                                              "reason": reason})
    return line


def revoke_adjustment(line, user, reason):
    """Withdraw a manual line with a written reason; lines fed from cases follow their deduction."""
    reason = (reason or "").strip()
    if line.origin == Origin.admonition:
        raise StatsError("问责扣分须在“效能告诫”页面撤销该问责，扣分随之撤销。", 409)
    if line.origin != Origin.manual:
        raise StatsError("超期扣分须在“超期扣分记录”中撤销，撤销后自动同步到台账。", 409)
    if line.revoked_at is not None:
        raise StatsError("该记录已撤销。", 409)
    if not reason:
        raise StatsError("撤销须填写理由。")
    line.revoked_at, line.revoked_by_id, line.revoke_reason = utcnow(), user.id, reason
    db.session.flush()
    audit.record("adjustment.revoke", line, actor=user, details={"year": line.year, "amount": line.amount,
                                                                 "reason": reason})


def ledger_totals(lines, caps):
    """{unit_code: {"bonus", "deduction", "bonus_capped", "deduction_capped"}} over unrevoked lines.

    The same caps as stats.totals.combine_totals, for display.
    """
    bonus, deduction = ledger_sums(lines)
    totals = {}
    for code in set(bonus) | set(deduction):
        bonus_capped, deduction_capped = capped(bonus[code], deduction[code], caps)
        totals[code] = {"bonus": bonus[code], "deduction": deduction[code],
                        "bonus_capped": bonus_capped, "deduction_capped": deduction_capped}
    return totals


def overdue_ref(deduction):
    """A deduction's ledger reference: case number, stage and unit. After a transfer one case may cost
    two units a deduction for the same stage; each is its own ledger line."""
    return f"{deduction['case_number']}/{deduction.get('stage') or ''}/{deduction['unit_code']}"


def _overdue_changes(year, deductions):
    """(deductions to add, [(line, deduction)] to revoke): what feeding would change, without writing."""
    if deductions is None:
        deductions = [row for _receiver, rows in overdue_deductions_wanted.send(None, year=year) for row in rows]
    lines = {line.origin_ref: line for line in db.session.scalars(
        sa.select(Adjustment).where(Adjustment.origin == Origin.overdue_case))}
    to_add, to_revoke, planned = [], [], set()
    for deduction in deductions:
        ref = overdue_ref(deduction)
        line = lines.get(ref)
        if line is None and not deduction["revoked"] and ref not in planned:
            to_add.append(deduction)
            planned.add(ref)
        elif line is not None and deduction["revoked"] and line.revoked_at is None:
            to_revoke.append((line, deduction))
    return to_add, to_revoke


def pending_overdue(year, deductions=None):
    """How many overdue-case deductions feeding would add and revoke; reads only (for the ledger page)."""
    to_add, to_revoke = _overdue_changes(year, deductions)
    return {"added": len(to_add), "revoked": len(to_revoke)}


def feed_overdue_deductions(year, deductions=None, actor=None):
    """Bring the year's overdue-case deductions into the ledger; safe to repeat.

    `deductions` defaults to what the receivers of `overdue_deductions_wanted` answer: dicts with unit_code,
    points, case_number, stage, reason, revoked, revoke_reason. A deduction enters once (origin_ref
    = overdue_ref); when it is revoked, its line is revoked too. Returns counts.
    """
    to_add, to_revoke = _overdue_changes(year, deductions)
    unit_ids = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
    now = utcnow()
    for deduction in to_add:
        db.session.add(Adjustment(
            unit_id=unit_ids[deduction["unit_code"]], year=year, amount=-abs(deduction["points"]),
            reason=deduction["reason"], evidence=f"投诉件 {deduction['case_number']}", origin=Origin.overdue_case,
            origin_ref=overdue_ref(deduction), created_at=now))
    for line, deduction in to_revoke:
        why = (deduction.get("revoke_reason") or "").strip()
        line.revoked_at, line.revoke_reason = now, f"超期扣分已撤销：{why}" if why else "超期扣分已撤销"
    db.session.flush()
    fed = {"added": len(to_add), "revoked": len(to_revoke)}
    if to_add or to_revoke:
        audit.record("adjustment.sync", actor=actor, details={"year": year, **fed})
    return fed


# --- Reinstatement of excluded responses ---------------------------------------------------------

def excluded_reason(run, public_id):
    """The reason `run` excluded the response, or None."""
    return next((e["reason"] for e in run.results["excluded"] if e["response_id"] == public_id), None)


def reinstate(public_id, note, user, run):
    """Count an excluded response again from the next run on, with the statistician's note."""
    note = (note or "").strip()
    response = db.session.scalar(sa.select(Response).where(Response.public_id == public_id))
    if response is None:
        raise StatsError("找不到该答卷。", 404)
    year = db.session.scalar(sa.select(Campaign.year).where(Campaign.id == response.campaign_id))
    reason = excluded_reason(run, public_id) if run is not None and run.year == year else None
    if reason is None:
        raise StatsError("该答卷在本年度最近一次计分中没有被剔除，无需恢复。")
    if reason in NOT_REINSTATABLE:
        raise StatsError("重复编号或未作答的答卷不能恢复计分。")
    if not note:
        raise StatsError("恢复计分须填写说明。")
    if db.session.scalar(sa.select(Reinstatement.id).where(Reinstatement.response_id == response.id)):
        raise StatsError("该答卷已恢复计分。", 409)
    line = Reinstatement(response_id=response.id, year=year, reason=reason, note=note, created_by_id=user.id,
                         created_at=utcnow())
    db.session.add(line)
    db.session.flush()
    audit.record("response.reinstate", line, actor=user, details={"year": year, "reason": reason, "note": note})
    return line



# --- What the input pages show -------------------------------------------------------------------

def unit_by_code(code):
    return db.session.scalar(sa.select(Unit).where(Unit.code == code)) if code else None


def unit_names(active_only=False):
    """[(code, name)] by code."""
    stmt = sa.select(Unit.code, Unit.name).order_by(Unit.code)
    return db.session.execute(stmt.where(Unit.active) if active_only else stmt).all()


def parts_listing(year):
    """The imported parts in parts_rows order (its line numbers are the ones run errors name)."""
    names = dict(unit_names())
    meta = {(code, p.part): p for p, code in db.session.execute(
        sa.select(PartScore, Unit.code).join(Unit).where(PartScore.year == year))}
    return [{**row, "name": names[row["unit_code"]], "record": meta[row["unit_code"], row["part"]]}
            for row in parts_rows(year)]


def ledger(year, caps):
    """The ledger page's lines (newest first), capped totals per unit, unit names and pending overdue changes."""
    lines = db.session.scalars(sa.select(Adjustment).where(Adjustment.year == year)
                               .order_by(Adjustment.created_at.desc(), Adjustment.id.desc())).all()
    return {"lines": lines, "totals": sorted(ledger_totals(ledger_rows(year), caps).items()),
            "names": dict(unit_names()), "pending": pending_overdue(year)}


def reinstatements_of(year):
    """{response public id: its reinstatement} for a year."""
    return {r.response.public_id: r for r in db.session.scalars(
        sa.select(Reinstatement).where(Reinstatement.year == year).order_by(Reinstatement.created_at.desc()))}


def response_details(public_ids):
    """{public_id: (unit name, window name, channel, submitted_at, duration, group)} for one page."""
    if not public_ids:
        return {}
    rows = db.session.execute(
        sa.select(Response.public_id, Unit.name, Window.name, Response.channel, Response.submitted_at,
                  Response.duration_s, Response.group)
        .join(Unit, Unit.id == Response.unit_id).outerjoin(Window, Window.id == Response.window_id)
        .where(Response.public_id.in_(public_ids)))
    return {row[0]: row[1:] for row in rows}
