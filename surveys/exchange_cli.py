"""`flask --app wsgi exchange export|import`: exchange records with the provincial platform (docs/exchange.md)."""
import csv
import os

import click
from flask.cli import with_appcontext

from app.kernel.extensions import db
from surveys import exchange
from surveys.exchange_import import ExchangeError, import_records, read_records

FORMATS = ("csv", "json")
SHOWN_REFUSALS = 20  # the rest go to --report


@click.group("exchange")
def exchange_group():
    """Exchange with the provincial platform: export a year's ratings, import the platform's."""


@exchange_group.command("export")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="FILE to write")
@with_appcontext
def export_command(year, fmt, out):
    """One record per rating of the year: opaque id, unit, window, channel, level, day (and time), 差评 handling."""
    with open(out, "w", encoding="utf-8", newline="") as fh:
        count = exchange.write(year, fmt, fh)
    db.session.commit()  # the audit entry
    click.echo(f"已导出{year}年度评价 {count} 条：{out}")


@exchange_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="default: from the file name's extension")
@click.option("--report", type=click.Path(dir_okay=False), help="CSV of every refused record (line, rating_id, reason)")
@with_appcontext
def import_command(file, year, fmt, report):
    """Import the platform's ratings of our units as responses of channel platform; safe to repeat."""
    fmt = fmt or os.path.splitext(file)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter("无法从文件扩展名判断格式，请指定 --format csv 或 json", param_hint="--format")
    with open(file, "rb") as fh:
        data = fh.read()
    try:
        result = import_records(read_records(data, fmt), year)
    except ExchangeError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"读取 {result['read']} 条，导入 {result['imported']} 条，此前已导入 {result['already']} 条，"
               f"拒绝 {len(result['refused'])} 条")
    for refusal in result["refused"][:SHOWN_REFUSALS]:
        where = f"第{refusal['line']}{'行' if fmt == 'csv' else '条'}"
        click.echo(f"  {where}（{refusal['rating_id'] or '无编号'}）：{refusal['reason']}")
    if len(result["refused"]) > SHOWN_REFUSALS and not report:
        click.echo(f"  ……另有 {len(result['refused']) - SHOWN_REFUSALS} 条，请用 --report 保存全部")
    if report:
        with open(report, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, ("line", "rating_id", "reason"))
            writer.writeheader()
            writer.writerows(result["refused"])
        click.echo(f"拒绝的记录及原因已写入：{report}")
