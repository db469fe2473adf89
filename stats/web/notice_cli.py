"""`flask --app wsgi notices ranking`: the 考核结果通报 from a RESULT.json, to check before publication;
`notices unit-reports`: every unit's report card of a stored run.

A run's JSON export (with totals) prints as it stands; a `stats score` RESULT (survey part only) needs
UNITS.csv for names and categories, and ranks on the survey points alone.
"""
import json

import click
from tqdm import tqdm

from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from stats.web import unit_reports
from stats.web.models import ScoreRun
from stats.responses_io import read_units
from stats.web.notice import render_ranking_notice, results_from_score

FILE = click.Path(exists=True, dir_okay=False)


@click.command("ranking")
@click.option("--result", "result_json", type=FILE, required=True, help="RESULT.json (a run's export or stats score)")
@click.option("--units", "units_csv", type=FILE, help="UNITS.csv (code,name,category) for a stats score RESULT")
@click.option("--number", default=None, help="发文字号，e.g. 皖效办〔2026〕3号；without it the notice is a draft")
@click.option("--date", "dated", type=click.DateTime(["%Y-%m-%d"]), required=True, help="成文日期，YYYY-MM-DD")
@click.option("--year", type=int, help="assessment year (default: the RESULT's, else the date's)")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="NOTICE.pdf to write")
def ranking_command(result_json, units_csv, number, dated, year, out):
    """Render the ranking notice (通报) from a RESULT.json."""
    try:
        with open(result_json, encoding="utf-8") as fh:
            result = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"RESULT.json 无法读取：{error}") from None
    scheme = current_scheme()
    year = year or result.get("year") or dated.year
    if "totals" not in result:
        if not units_csv:
            raise click.UsageError("该 RESULT.json 只含服务对象测评结果，请用 --units 给出单位名单")
        try:
            units = read_units(units_csv, scheme["categories"])
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        result = results_from_score(result, units, scheme, year)
    pdf = render_ranking_notice({**result, "year": year}, scheme["documents"], dated=dated.date(), number=number)
    with open(out, "wb") as fh:
        fh.write(pdf)
    click.echo(f"已生成{'通报' if number else '通报草稿'}：{out}")


@click.command("unit-reports")
@click.option("--run", "run_id", type=int, required=True, help="score run id（计分编号）")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="folder to write into")
@click.option("--workers", type=int, default=None, help="processes (default: one per core)")
def unit_reports_command(run_id, out_dir, workers):
    """Every unit's report card of a run: one PDF per unit and one merged PDF."""
    run = db.session.get(ScoreRun, run_id)
    if run is None:
        raise click.ClickException(f"没有编号为 {run_id} 的计分")
    with tqdm(total=len(run.results["totals"]), unit="份", disable=None) as bar:
        paths = unit_reports.write_all(run, out_dir, workers=workers,
                                       progress=lambda done, _total: bar.update(done - bar.n))
    click.echo(f"已生成 {len(paths) - 1} 个单位的测评报告及合订本：{out_dir}")
