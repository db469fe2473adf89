"""Survey commands: print runs under `flask --app wsgi notices` (posters of every window, invitation letters)
and `flask --app wsgi surveys flush` (the waiting fixed responses, the expired walk-in salts, the callback phones
of service records whose rating link expired) and
`surveys forget-salts`."""
import click
from flask.cli import with_appcontext
import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import Unit, Window
from app.kernel.clock import local_today
from app.kernel.scheme import current_scheme
from surveys import printing, salts
from surveys.operations import store_pending_responses
from surveys.services import operations as services
from surveys.models import Campaign


def _unit(code):
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        raise click.ClickException(f"没有代码为 {code} 的单位")
    return unit


@click.command("posters")
@click.option("--unit", "unit_code", help="only this unit's windows (code); default: every active window")
@click.option("--size", type=click.Choice(printing.SIZES), default="A4", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="FILE.pdf to write")
def posters_command(unit_code, size, out):
    """Every active window's QR poster in one PDF, one page each."""
    query = sa.select(Window).join(Unit, Unit.id == Window.unit_id).where(Window.active, Unit.active)
    if unit_code:
        query = query.where(Unit.id == _unit(unit_code).id)
    windows = db.session.scalars(query.order_by(Unit.category, Unit.code, Window.code)).all()
    if not windows:
        raise click.ClickException("没有可打印的服务窗口")
    with open(out, "wb") as fh:
        fh.write(printing.posters_pdf(windows, size))
    click.echo(f"已生成 {len(windows)} 个窗口的海报（{size}）：{out}")


@click.command("invitations")
@click.option("--campaign", "campaign_id", type=int, required=True, help="campaign id（测评活动编号）")
@click.option("--unit", "unit_code", required=True, help="unit code")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="FILE.pdf to write")
def invitations_command(campaign_id, unit_code, out):
    """Invitation letters for the unit's respondents who have not answered (fresh tokens; old links stop)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"没有编号为 {campaign_id} 的测评活动")
    pdf, count = printing.invitation_letters(campaign, _unit(unit_code))
    if not count:
        raise click.ClickException("没有需要寄发的邀请函：名单为空，或名单中的服务对象都已作答")
    with open(out, "wb") as fh:
        fh.write(pdf)
    db.session.commit()  # the fresh tokens count only once their letters exist
    click.echo(f"已生成 {count} 封邀请函：{out}")


@click.command("flush")
@with_appcontext
def flush_command():
    """Store the fixed responses waiting for their batch, in shuffled order, erase the callback phones of
    unrated services whose link expired, and delete the walk-in salts past their time (cron, hourly)."""
    stored = store_pending_responses()
    erased = services.erase_expired_phones()
    db.session.commit()
    click.echo(f"已保存等待中的固定服务对象答卷 {stored} 份")
    click.echo(f"已删除评价链接过期的办件所留手机号 {erased} 个")
    _forget(local_today())


@click.command("forget-salts")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="the Beijing date to count from (default: today)")
@with_appcontext
def forget_salts_command(today):
    """Delete the walk-in salts older than [screening] salt_keep_days, for good (also done by `flush`)."""
    _forget(today.date() if today else local_today())


def _forget(today):
    gone = salts.forget(today, current_scheme()["screening"])
    db.session.commit()
    salts.scrub_storage()
    click.echo(f"已销毁过期的答卷哈希盐值 {gone} 个")
