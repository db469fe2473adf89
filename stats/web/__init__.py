"""The statisticians' layer around the pure stats package: imported parts, the adjustment ledger,
reinstated responses, frozen score runs, result pages, exports, PDF notices and the `stats` CLI."""


def blueprints():
    """Every blueprint of the package: result pages, input pages, the CLI group."""
    from stats.web import cli, input_views, views

    return (views.bp, input_views.bp, cli.bp)
