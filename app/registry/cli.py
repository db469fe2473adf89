"""Registry commands: `units export|import`, `users create|reset-password`, `apikeys create|list|revoke`."""
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.kernel.clock import local_text
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.kernel.scheme import category_names, current_scheme
from app.registry import apikeys, operations
from app.registry.models import Role, Unit, User


def init_app(app):
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(apikeys_cli)


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


@click.group("apikeys", cls=AppGroup)
def apikeys_cli():
    """API keys of the units' business systems: issued per unit, shown once, stored hashed."""


@apikeys_cli.command("create")
@click.option("--unit", "unit_code", required=True, help="The unit's code; the key acts for it alone.")
@click.option("--name", required=True, help="What the key is for, e.g. the system that uses it.")
def apikeys_create(unit_code, name):
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"没有单位 {unit_code}")
    try:
        api_key, key = apikeys.create_api_key(unit, name)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(f"已为 {unit.code} {unit.name} 签发接口密钥 {api_key.prefix}（{api_key.name}）。")
    click.echo("密钥只显示这一次，系统只保存其摘要，请妥善交给使用它的系统：")
    click.echo(key)


@apikeys_cli.command("list")
def apikeys_list():
    for api_key in apikeys.api_keys():
        state = f"已吊销 {local_text(api_key.revoked_at)}" if api_key.revoked_at else "有效"
        used = local_text(api_key.last_used_at) or "从未使用"
        click.echo(f"{api_key.prefix}\t{api_key.unit.code}\t{api_key.name}\t签发 {local_text(api_key.created_at)}"
                   f"\t最近使用 {used}\t{state}")


@apikeys_cli.command("revoke")
@click.argument("prefix")
def apikeys_revoke(prefix):
    """Revoke the key whose prefix (xn_ and 8 characters, as listed) is PREFIX."""
    try:
        api_key = apikeys.api_key_by_prefix(prefix)
        apikeys.revoke_api_key(api_key)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(f"已吊销接口密钥 {api_key.prefix}（{api_key.unit.code}，{api_key.name}）。")
