"""公示: what the public may see of a year's results — published runs only, and of them only the
satisfaction index, rank, number of valid responses, 差评 count, 回访率 and 整改率 per unit, with the
issued 通报. Nothing from drafts, no response ids, comments, ledger reasons or people."""
import sqlalchemy as sa

from app.kernel.extensions import db
from stats.web import charts, report
from stats.web.models import RunStatus, ScoreRun
from stats.web.runs import issued_notice


def published_years():
    """The years with a published run, newest first."""
    stmt = (sa.select(ScoreRun.year).where(ScoreRun.status == RunStatus.published)
            .distinct().order_by(ScoreRun.year.desc()))
    return list(db.session.scalars(stmt))


def published_run(year):
    """The year's last published run, or None (drafts after it are not public)."""
    return db.session.scalar(sa.select(ScoreRun).where(ScoreRun.year == year, ScoreRun.status == RunStatus.published)
                             .order_by(ScoreRun.sequence.desc()))


def _public_row(results, row, followup):
    survey = row["survey"]
    follow = followup.get(row["unit_code"], {})
    valid = None if not survey else (survey.get("n_fixed") or 0) + (survey.get("n_nonfixed") or 0)
    return {"rank": row["rank"], "unranked": report.unranked_reason(results, row), "name": row["name"], "index": survey.get("index"), "valid": valid,
            "bad": follow.get("bad"), "callback_rate": follow.get("callback_rate"),
            "rectification_rate": follow.get("rectification_rate"),
            "callbacks": follow.get("callbacks"), "to_rectify": follow.get("to_rectify")}


def public_tables(run):
    """[{"code", "name", "rows", "chart"}] per category, rows in rank order, each row only public fields."""
    followup = run.results.get("followup", {})  # runs made before follow-up was counted have none
    tables = []
    for table in report.category_tables(run.results):
        rows = [_public_row(run.results, row, followup) for row in table["rows"]]
        tables.append({"code": table["code"], "name": table["name"], "rows": rows, "chart": index_chart(table["name"], rows)})
    return tables


def index_chart(category, rows):
    """The category's satisfaction indices as bars, highest first (SVG, drawn on the server)."""
    ordered = sorted(rows, key=lambda r: (r["index"] is None, -(r["index"] or 0)))
    bars = [{"label": r["name"], "value": r["index"]} for r in ordered]
    return charts.bar_chart(bars, maximum=1, title=f"{category}：满意度指数")


def public_notice(run):
    """The 通报 issued from the run, or None."""
    return issued_notice(run)
