"""`flask --app wsgi audit verify`: check the chain; exit status 0 when intact, 1 naming the first bad entry."""
import sys

import click
from flask.cli import AppGroup

from app.audit import operations


def init_app(app):
    app.cli.add_command(audit_cli)


@click.group("audit", cls=AppGroup)
def audit_cli():
    """The audit log."""


@audit_cli.command("verify")
def verify_command():
    """Walk the hash chain; name the first entry that was edited, deleted or moved."""
    status = operations.verify()
    click.echo(status.message, err=not status.intact)
    sys.exit(0 if status.intact else 1)
