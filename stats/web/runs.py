"""Score runs: a year's results computed from the database, frozen with their inputs' hashes,
published, and compared with the run before. Operations flush; the request boundary commits."""
import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.audit import operations as audit
from app.documents import operations as document_operations
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme, current_scheme_file
from stats.responses_io import GROUPS
from stats.followup import bad_counts, followup_rows
from stats.scoring import dimension_indices, result_dict, score_units
from stats.screening import straightlined
from stats.totals import combine_totals, validate_parts
from stats.web.inputs import (
    NoCampaign,
    callback_counts,
    database_responses,
    digest,
    ledger_rows,
    parts_rows,
    registry_units,
    reinstated_ids,
    responses_digest,
)
from stats.web import report
from stats.web.appeals import upheld_ids
from stats.web.models import RunStatus, ScoreRun
from stats.web.operations import StatsError, feed_overdue_deductions
from stats.web.notice import ranking_notice, render_ranking_notice

TOLERANCE = 1e-9  # differences below this are float noise, not a change


def score_database(year, scheme, *, screen=True, reinstated=(), upheld=(), progress=None):
    """The survey part of a year from the database: (units, responses, items, SurveyScores)."""
    units = registry_units()
    responses, items = database_responses(year, units, progress)
    scores = score_units(units, responses, items, scheme["survey"], scheme["screening"],
                         screen=screen, reinstated=reinstated, upheld=upheld)
    return units, responses, items, scores


def compute_results(year, scheme, progress=None):
    """(results, input hashes) of a year: the RESULT dict plus totals, dimensions and the frozen inputs."""
    reinstated, upheld = reinstated_ids(year), upheld_ids(year)
    try:
        units, responses, items, scores = score_database(year, scheme, reinstated=reinstated, upheld=upheld,
                                                         progress=progress)
    except (NoCampaign, ValueError) as error:  # ValueError: data the scheme cannot score (InputError too)
        raise StatsError(str(error)) from None
    parts = parts_rows(year)
    errors = validate_parts(parts, units, scheme, first_line=1)
    if errors:
        raise StatsError("已导入的考核项目分值与现行考核方案不符，请更正后重新导入（行号为导入页列表中的序号）。",
                         errors=errors)
    ledger = ledger_rows(year)
    survey_points = {row["unit_code"]: row["points"] for row in scores.units}
    results = result_dict(scheme["name"], scores)
    results["excluded"] = _excluded_with_units(results["excluded"], responses, units, scores.valid)
    del results["straightline"]  # the same ids, stored grouped by unit for the pages:
    results["straightline_by_unit"] = _straightline_by_unit(responses, units, scores.valid)
    results.update(
        year=year, registry=units, response_count=len(responses), reinstated=reinstated,
        followup=followup_rows(units, bad_counts(units, responses, scores.valid, scheme["survey"]["bad_levels"]),
                               callback_counts(year)),
        dimensions=dimension_indices(units, responses, items, scheme["survey"], scores.valid),
        totals=combine_totals(units, survey_points, parts, ledger, scheme,
                              below_min_sample=[row["unit_code"] for row in scores.units if row["below_min_sample"]]),
        parts=parts, adjustments=ledger,
        # The scheme's layout travels with the run, so an old run still renders after the scheme changes.
        scheme_title=scheme.get("title", scheme["name"]), survey_part=scheme["survey"]["part"],
        categories=[{"code": c["code"], "name": c["name"], "parts": c["parts"]} for c in scheme["categories"]],
        part_names=scheme.get("part_names", {}), caps=scheme["adjustments"],
        confidence=scheme["survey"]["confidence"], min_ranked=scheme["survey"]["min_ranked"],
    )
    hashes = {"units": digest(units), "responses": responses_digest(responses, items), "parts": digest(parts),
              "adjustments": digest(ledger), "reinstatements": digest(reinstated), "appeals": digest(upheld),
              "followup": digest(results["followup"])}
    return results, hashes


def _excluded_with_units(excluded, responses, units, valid):
    """The excluded list with each response's unit and group, for the review queue and per-unit counts."""
    rows = np.flatnonzero(~valid).tolist()
    codes, groups = responses.unit[rows].tolist(), responses.group[rows].tolist()
    where = {responses.response_id[i]: (units[u]["code"], GROUPS[g]) for i, u, g in zip(rows, codes, groups)}
    return [{**entry, "unit_code": where[entry["response_id"]][0], "group": where[entry["response_id"]][1]}
            for entry in excluded]


def _straightline_by_unit(responses, units, valid):
    """{unit_code: [response ids]} of the straight-lined (still counted) responses, for the unit pages and
    the review queue; the pure RESULT lists the ids alone."""
    rows = np.flatnonzero(valid & straightlined(responses.levels))
    by_unit = {}
    for i, u in zip(rows.tolist(), responses.unit[rows].tolist()):
        by_unit.setdefault(units[u]["code"], []).append(responses.response_id[i])
    return by_unit


def latest_run(year):
    return db.session.scalar(sa.select(ScoreRun).where(ScoreRun.year == year).order_by(ScoreRun.sequence.desc()))


def create_run(year, user, scheme_name=None, note="", progress=None):
    """Feed the overdue deductions, compute, and store a new draft run after the year's latest one.

    The scheme is the app's unless scheme_name names another (a file or a scheme in app/schemes/).
    The scheme file is read once: the rules used, the hash stored and the text kept in the results
    (results["scheme_text"]) all come from the same bytes, so a run cannot record a scheme it did not use.
    """
    feed_overdue_deductions(year, actor=user)
    source = current_scheme_file(scheme_name)
    scheme = source.scheme
    results, hashes = compute_results(year, scheme, progress)
    results["scheme_text"] = source.text
    previous = latest_run(year)
    run = ScoreRun(year=year, sequence=previous.sequence + 1 if previous else 1, note=(note or "").strip(),
                   scheme_name=scheme["name"], scheme_version=str(scheme.get("version", "")),
                   scheme_sha256=source.sha256, input_hashes=hashes, results=results,
                   status=RunStatus.draft, created_by_id=user.id if user else None, created_at=utcnow(),
                   previous_run_id=previous.id if previous else None)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        raise StatsError("同一年度的另一次计分刚刚完成，请刷新后查看。", 409) from None
    audit.record("run.create", run, actor=user, details={"year": year, "sequence": run.sequence})
    return run


def units_missing_parts(run):
    """Names of the ranked units whose total counts a part that was never imported as 0."""
    names = {u["code"]: u["name"] for u in run.results["registry"]}
    return [names.get(row["unit_code"], row["unit_code"]) for row in run.results["totals"]
            if row["rank"] is not None and "missing_parts" in row["flags"]]


def units_unranked(run):
    """[(name, category name, reason)] of the units the run leaves without a rank."""
    return report.unranked_units(run.results)


def publish_run(run, user, confirm_missing_parts=False, confirm_unranked=False):
    """Publish the year's latest run; a published run never changes again.

    A run whose ranked units lack imported parts (counted as 0) is published only when the statistician
    confirms it explicitly: such a ranking is rarely what the office means to announce. So is a run that
    leaves units without a rank (too few valid responses, no data); the run records who confirmed that.
    """
    if run.is_published:
        raise StatsError(f"{run.label}已发布，发布后的结果不能更改；如需更正请重新计分。", 409)
    latest = latest_run(run.year)
    if latest.id != run.id:
        raise StatsError(f"只能发布本年度最新的一次计分（第{latest.sequence}次）。", 409)
    missing = units_missing_parts(run)
    if missing and not confirm_missing_parts:
        raise StatsError(f"有 {len(missing)} 个参加排名的单位缺少考核项目分值，按 0 分计入总分。请先导入分值后重新计分；"
                         f"确需按 0 分发布，请勾选“确认缺项按0分发布”。", 409, errors=missing)
    unranked = units_unranked(run)
    if unranked and not confirm_unranked:
        raise StatsError(f"本次计分有 {len(unranked)} 个单位不参与排名（见下表）。请核对后勾选“确认以上单位不参与排名”再发布。",
                         409, errors=[f"{category}：{name}（{reason}）" for name, category, reason in unranked])
    if unranked:
        run.unranked_confirmed_by_id = user.id
    run.status, run.published_at, run.published_by_id = RunStatus.published, utcnow(), user.id
    db.session.flush()
    audit.record("run.publish", run, actor=user, details={"year": run.year, "sequence": run.sequence,
                                                          "missing_parts": len(missing), "unranked": len(unranked)})


def _changed(old, new):
    if old is None or new is None:
        return old is not new
    return abs(old - new) > TOLERANCE


def _unit_change(before, after):
    """What changed for one unit between two totals rows; None if nothing did."""
    change = {}
    for key in ("rank", "total", "bonus", "deduction"):
        if _changed(before.get(key), after.get(key)):
            change[key] = (before.get(key), after.get(key))
    parts = {part: (before["parts"].get(part), after["parts"].get(part))
             for part in {**before["parts"], **after["parts"]}
             if _changed(before["parts"].get(part), after["parts"].get(part))}
    if parts:
        change["parts"] = parts
    return change or None


def diff_runs(old, new):
    """Units whose rank, total, parts or adjustments changed; responses excluded or counted anew;
    which inputs changed. Units only in one run are listed as added or removed."""
    names = {u["code"]: u["name"] for run in (old, new) for u in run.results["registry"]}
    before = {row["unit_code"]: row for row in old.results["totals"]}
    units = []
    for row in new.results["totals"]:
        prior = before.pop(row["unit_code"], None)
        change = {"added": True} if prior is None else _unit_change(prior, row)
        if change:
            units.append({"unit_code": row["unit_code"], "name": names.get(row["unit_code"], ""),
                          "category": row["category"], **change})
    units += [{"unit_code": code, "name": names.get(code, ""), "category": row["category"], "removed": True}
              for code, row in before.items()]
    old_excluded = {e["response_id"]: e["reason"] for e in old.results["excluded"]}
    new_excluded = {e["response_id"]: e["reason"] for e in new.results["excluded"]}
    inputs = [key for key in sorted({**old.input_hashes, **new.input_hashes})
              if old.input_hashes.get(key) != new.input_hashes.get(key)]
    if old.scheme_sha256 != new.scheme_sha256:
        inputs.append("scheme")
    return {
        "units": sorted(units, key=lambda u: (u["category"], u["unit_code"])),
        "newly_excluded": sorted((rid, reason) for rid, reason in new_excluded.items() if rid not in old_excluded),
        "now_counted": sorted((rid, reason) for rid, reason in old_excluded.items() if rid not in new_excluded),
        "inputs_changed": inputs,
    }


def issued_notice(run):
    """The 通报 issued from this run, or None."""
    issued = document_operations.issued_for(f"score_run:{run.id}")
    return issued[0] if issued else None


def issue_ranking_notice(run, user, dated):
    """Give the published run's 通报 the next number of the office's series and register it; once only."""
    if not run.is_published:
        raise StatsError("只有已发布的计分结果才能印发通报；未发布前可下载草稿核对。", 409)
    existing = issued_notice(run)
    if existing is not None:
        raise StatsError(f"本次计分结果已印发通报（{existing.code}），不能重复编号。", 409)
    documents = current_scheme()["documents"]
    notice = ranking_notice(run.results, documents)
    issued = document_operations.issue(
        kind="ranking_notice", title=notice["title"], subject=f"score_run:{run.id}",
        prefix=documents["number_prefix"], year=dated.year, dated=dated, actor=user,
        render=lambda number: render_ranking_notice(run.results, documents, dated=dated, number=number))
    audit.record("notice.issue", run, actor=user, details={"year": run.year, "document": issued.code})
    return issued
