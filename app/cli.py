"""Command line: `flask --app wsgi init`, `units export|import`, `users create|reset-password`."""
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from app import accounts, registry
from app.clock import local_today
from app.demo import load_demo
from app.errors import Refusal
from app.extensions import db
from app.models import Role, Unit, User
from app.scheme import category_names, load_scheme


def init_app(app):
    app.cli.add_command(init_command)
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)


@click.command("init")
@with_appcontext
@click.option("--demo/--no-demo", default=True, help="Load the demo campaign and windows.")
def init_command(demo):
    """Create or migrate the database and load the registry; safe to run again."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    created, updated = registry.load_default_units()
    click.echo(f"单位:新增 {created},更新 {updated}")
    if demo:
        made = load_demo(local_today().year)
        click.echo(f"演示数据:新增窗口 {made['windows']},新增测评活动 {made['campaigns']}")
    _ensure_admin()
    db.session.commit()


def _ensure_admin():
    if db.session.scalar(sa.select(User).where(User.role == Role.admin).limit(1)):
        click.echo("管理员账号已存在(忘记密码可运行 flask --app wsgi users reset-password admin)")
        return
    _, password = accounts.create_user("admin", Role.admin, display_name="管理员")
    click.echo(f"已创建管理员账号 admin,一次性密码:{password}(首次登录后须修改)")


@click.group("units", cls=AppGroup)
def units_cli():
    """The unit registry as CSV (code,name,category)."""


@units_cli.command("export")
def units_export():
    sys.stdout.write(registry.export_csv())


@units_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def units_import(file):
    try:
        rows = registry.check_rows(registry.read_csv(file), category_names(load_scheme(current_app.config["SCHEME"])))
    except registry.RegistryError as error:
        raise click.ClickException(str(error)) from None
    created, updated = registry.import_units(rows)
    db.session.commit()
    click.echo(f"单位:新增 {created},更新 {updated}")


@click.group("users", cls=AppGroup)
def users_cli():
    """Staff accounts."""


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--unit", "unit_code", help="Unit code, required for a unit liaison.")
def users_create(username, role, unit_code):
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code)) if unit_code else None
    try:
        _, password = accounts.create_user(username, role, unit)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(f"已创建 {username}({role}),一次性密码:{password}")


@users_cli.command("reset-password")
@click.argument("username")
def users_reset_password(username):
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    password = accounts.reset_password(user)
    db.session.commit()
    click.echo(f"{username} 的一次性密码:{password}")
