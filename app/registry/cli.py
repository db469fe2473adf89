"""Registry commands: `units export|import`, `users create|reset-password`."""
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import category_names, current_scheme
from app.registry import operations
from app.registry.models import Role, Unit, User


def init_app(app):
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)


@click.group("units", cls=AppGroup)
def units_cli():
    """The unit registry as CSV (code,name,category)."""


@units_cli.command("export")
def units_export():
    sys.stdout.write(operations.export_csv())


@units_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def units_import(file):
    try:
        rows = operations.check_rows(operations.read_csv(file), category_names(current_scheme()))
    except operations.RegistryError as error:
        raise click.ClickException(str(error)) from None
    created, updated = operations.import_units(rows, file=file.name)
    db.session.commit()
    click.echo(f"单位：新增 {created}，更新 {updated}")


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
        _, password = operations.create_user(username, role, unit)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(f"已创建 {username}({role})，一次性密码：{password}")


@users_cli.command("reset-password")
@click.argument("username")
def users_reset_password(username):
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    password = operations.reset_password(user)
    db.session.commit()
    click.echo(f"{username} 的一次性密码：{password}")
