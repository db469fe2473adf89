"""Command line: `flask --app wsgi cases sweep` (cron, hourly) and `cases load-holidays YEAR FILE`."""
from datetime import datetime, timezone

import click
from flask import Blueprint

from app.kernel.extensions import db
from complaints import holidays
from complaints.holiday_notice import NoticeError
from complaints.sweep import sweep

bp = Blueprint("cases_cli", __name__, cli_group="cases")


@bp.cli.command("sweep")
@click.option("--now", "now_text", help="ISO time to run as (default: now); with no offset, UTC.")
def sweep_command(now_text):
    """Recount deadlines, deductions, reminders, the rating timeout, open pending callbacks, send the outbox."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("须为 ISO 时间，如 2026-03-02T09:00:00+08:00", param_hint="--now") from None
        if now.tzinfo is not None:
            now = now.astimezone(timezone.utc).replace(tzinfo=None)
    counts = sweep(now)
    db.session.commit()
    click.echo("重新计算期限 {recomputed}，扣分 {deductions}，到期提醒 {reminders}，效能办超期提醒 {office_overdue}，"
               "超时默认办结 {closed}，冲突留待下次 {conflicts}，差评回访立件 {callbacks}，"
               "通知已发送 {sent}，仅记录未外发 {logged}，发送失败 {failed}，待重试 {retry}".format(**counts))


@bp.cli.command("load-holidays")
@click.argument("year", type=int)
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--note", default="", help="The notice's title or number.")
def load_holidays_command(year, file, note):
    """Load a year's official holiday notice: its items as published, or lines like `2027-02-06..2027-02-12 休 春节`
    (docs/holiday-notice-example.txt)."""
    try:
        count = holidays.load_year(year, file.read(), None, note)
    except NoticeError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"已载入{year}年节假日安排，重新计算了{count}件的期限")
