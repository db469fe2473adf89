"""The composition's command line: `flask --app wsgi init` sets up or migrates everything."""
import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.kernel.clock import local_today
from app.demo import load_demo
from app.kernel.extensions import db
from app.registry import operations
from app.registry.models import Role, User
from stats.web import notice_cli
from surveys import cli as survey_cli, exchange_cli


def init_app(app):
    app.cli.add_command(init_command)
    app.cli.add_command(notices)
    app.cli.add_command(surveys_group)
    app.cli.add_command(exchange_cli.exchange_group)


@click.group("notices")
def notices():
    """Official documents and print runs: the ranking notice, unit reports, invitation letters, posters."""


notices.add_command(notice_cli.ranking_command)
notices.add_command(notice_cli.unit_reports_command)
notices.add_command(survey_cli.posters_command)
notices.add_command(survey_cli.invitations_command)


@click.group("surveys")
def surveys_group():
    """Survey upkeep: `surveys flush` stores the fixed responses waiting for their batch and deletes expired
    walk-in salts (cron, hourly); `surveys forget-salts` does the latter alone."""


surveys_group.add_command(survey_cli.flush_command)
surveys_group.add_command(survey_cli.forget_salts_command)


@click.command("init")
@with_appcontext
@click.option("--demo/--no-demo", default=True, help="Load the demo campaign and windows.")
def init_command(demo):
    """Create or migrate the database and load the registry; safe to run again."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    created, updated = operations.load_default_units()
    click.echo(f"单位：新增 {created}，更新 {updated}")
    if demo:
        made = load_demo(local_today().year)
        click.echo(f"演示数据：新增窗口 {made['windows']}，新增测评活动 {made['campaigns']}")
    _ensure_admin()
    db.session.commit()


def _ensure_admin():
    if db.session.scalar(sa.select(User).where(User.role == Role.admin).limit(1)):
        click.echo("管理员账号已存在（忘记密码可运行 ./manage.sh flask users reset-password admin）")
        return
    _, password = operations.create_user("admin", Role.admin, display_name="管理员")
    click.echo(f"已创建管理员账号 admin，一次性密码：{password}（首次登录后须修改）")


