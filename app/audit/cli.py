"""`flask --app wsgi audit verify`: check the chain and the domains' own histories (a case's status against
its timeline); exit status 0 when all agree, 1 naming the first bad entry and each disagreement."""
import sys

import click
from flask.cli import AppGroup

from app.audit import operations
from app.audit.signals import integrity_checks_wanted


def init_app(app):
    app.cli.add_command(audit_cli)


@click.group("audit", cls=AppGroup)
def audit_cli():
    """The audit log."""


@audit_cli.command("verify")
def verify_command():
    """Walk the hash chain; name the first entry that was edited, deleted or moved, and every record whose
    state its own history does not explain."""
    status = operations.verify()
    click.echo(status.message, err=not status.intact)
    problems = [problem for _receiver, found in integrity_checks_wanted.send() for problem in found]
    for problem in problems:
        click.echo(problem, err=True)
    sys.exit(0 if status.intact and not problems else 1)
