"""The statisticians' layer around the pure stats package: imported parts, the adjustment ledger,
reinstated responses, frozen score runs, result pages, exports, PDF notices and the `stats` CLI."""
from flask import request

STATS_ROLES = ("admin", "statistician")  # the roles that see statistics pages


def requested_year(value=None):
    """The year a page asks for (argument or ?year=), within reason; else the default year."""
    from stats.web.inputs import default_year  # late: the models import this package's siblings

    year = value if value is not None else request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else default_year()


def blueprints():
    """Every blueprint of the package: result pages, input pages, the CLI group."""
    from stats.web import admonition_views, appeal_views, cli, input_views, public_views, views

    return (views.bp, input_views.bp, admonition_views.bp, appeal_views.bp, public_views.bp, cli.bp)
