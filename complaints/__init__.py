"""Cases: complaints, inquiries, suggestions and reports (投诉、咨询、建议、举报), first-receiver
records (首问负责) and callbacks (回访) after bad survey ratings, handled under working-day time limits."""


def blueprints():
    """Every blueprint of the package: citizen pages, staff pages, admin pages, the API, the CLI."""
    from complaints import admin, api, cli, staff, views

    return (views.bp, staff.bp, admin.bp, api.bp, cli.bp)
