"""Command line: `flask --app wsgi stats score` (from files or the database) and `stats run`.

    stats score --units UNITS.csv --responses RESPONSES.csv [--items ITEMS.csv] [--scheme NAME|FILE]
                [--no-screen] --out RESULT.json
    stats score --year YEAR [--scheme NAME|FILE] [--no-screen] --out RESULT.json
    stats run --year YEAR [--note TEXT]      store a draft score run, as the web page does

From files nothing touches the database, so a commissioned survey agency's data can be scored on any
machine with the code. A progress bar follows the reading of the responses when stderr is a terminal.
"""
import os

import click
from flask import Blueprint
from tqdm import tqdm

from app.kernel.extensions import db
from app.kernel.scheme import SchemeError, current_scheme
from stats.responses_io import read_items, read_responses, read_units
from stats.result_io import write_result
from stats.scoring import result_dict, score_units
from stats.web.inputs import NoCampaign, reinstated_ids, response_count
from stats.web.operations import StatsError
from stats.web.runs import create_run, score_database

bp = Blueprint("stats_cli", __name__, cli_group="stats")

FILE = click.Path(exists=True, dir_okay=False)


def _scheme(name_or_path):
    try:
        return current_scheme(name_or_path)
    except SchemeError as error:
        raise click.ClickException(str(error)) from None


@bp.cli.command("score")
@click.option("--units", "units_csv", type=FILE, help="UNITS.csv: code,name,category")
@click.option("--responses", "responses_csv", type=FILE,
              help="RESPONSES.csv: response_id,unit_code,group,submitted_at,duration_s,client_hash,window_code,q:…")
@click.option("--items", "items_csv", type=FILE, help="ITEMS.csv: item_code,weight[,dimension] (default: weight 1)")
@click.option("--year", type=int, help="Score the database's campaign responses of this year instead of files.")
@click.option("--scheme", "scheme_name", help="Scheme name (app/schemes/NAME.toml) or file; default: the app's.")
@click.option("--no-screen", is_flag=True, help="Count every answered response (no screening).")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="RESULT.json to write.")
def score_command(units_csv, responses_csv, items_csv, year, scheme_name, no_screen, out):
    """Score the survey part: RESULT.json {"scheme", "units": [...], "excluded": [...]}."""
    if year is not None and (units_csv or responses_csv or items_csv):
        raise click.UsageError("--year 与 --units/--responses/--items 只能二选一")
    if year is None and not (units_csv and responses_csv):
        raise click.UsageError("请给出 --units 和 --responses，或用 --year 对数据库中的答卷计分")
    scheme = _scheme(scheme_name)
    if year is None:
        result = _score_files(units_csv, responses_csv, items_csv, scheme, not no_screen)
    else:
        result = _score_year(year, scheme, not no_screen)
    write_result(out, result)
    counted = sum(row["n_fixed"] + row["n_nonfixed"] for row in result["units"])
    click.echo(f"已计分：{len(result['units'])} 个单位，有效答卷 {counted} 份，剔除 {len(result['excluded'])} 份 → {out}")


def _fail(path, error):
    return click.ClickException(f"{os.path.basename(path)} {error}")


def _score_files(units_csv, responses_csv, items_csv, scheme, screen):
    # The steps of stats.scoring.score_csv, one by one, so that an error names the file it is in.
    try:
        units = read_units(units_csv, scheme.get("categories"))
    except ValueError as error:
        raise _fail(units_csv, error) from None
    try:
        with tqdm(total=os.path.getsize(responses_csv), unit="B", unit_scale=True, desc="读取答卷",
                  disable=None) as bar:
            responses = read_responses(responses_csv, units, lambda done, _total: bar.update(done - bar.n))
    except ValueError as error:
        raise _fail(responses_csv, error) from None
    try:
        items = read_items(items_csv, responses.item_codes) if items_csv else None
    except ValueError as error:
        raise _fail(items_csv, error) from None
    try:
        scores = score_units(units, responses, items, scheme["survey"], scheme["screening"], screen=screen)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return result_dict(scheme["name"], scores)


def _score_year(year, scheme, screen):
    try:
        with tqdm(total=response_count(year), unit="份", desc="读取答卷", disable=None) as bar:
            *_, scores = score_database(year, scheme, screen=screen, reinstated=reinstated_ids(year),
                                        progress=bar.update)
    except (NoCampaign, ValueError) as error:
        raise click.ClickException(str(error)) from None
    return {**result_dict(scheme["name"], scores), "year": year}


@bp.cli.command("run")
@click.option("--year", type=int, required=True)
@click.option("--note", default="", help="Why this run, e.g. 申诉复核后重新计分.")
def run_command(year, note):
    """Store a draft score run of YEAR from the database (as the web page does); publish it on the web."""
    with tqdm(total=response_count(year), unit="份", desc="读取答卷", disable=None) as bar:
        try:
            run = create_run(year, None, note=note, progress=bar.update)
        except StatsError as error:
            db.session.rollback()
            details = "".join(f"\n  {line}" for line in error.errors)
            raise click.ClickException(f"{error.message}{details}") from None
    db.session.commit()
    click.echo(f"已完成{run.label}（草稿，编号 {run.id}）；请在网页上核对后发布。")
