"""公示 pages for everyone, no sign-in: the years with published results and each year's tables, charts
and issued 通报. The pages are the same for every visitor (no session is read, no cookie set), so
shared caches may keep them for PUBLIC_CACHE_SECONDS; an ETag built from the run and its notice lets
them check cheaply."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, request

from app.kernel.clock import local_date
from app.kernel.shared import render_shared, shared_page
from stats.web import public

bp = Blueprint("public_results", __name__, url_prefix="/public/results")


def _cacheable(response, tag, modified=None):
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PUBLIC_CACHE_SECONDS"]
    response.set_etag(tag)
    if modified is not None:
        response.last_modified = modified
    return response.make_conditional(request)


@bp.route("")
@shared_page
def years():
    years = public.published_years()
    page = render_shared("stats/public_years.html", years=years)
    return _cacheable(Response(page), "years-" + "-".join(map(str, years)))


@bp.route("/<int(min=2000, max=2100):year>")
@shared_page
def year_page(year):
    run = public.published_run(year)
    if run is None:
        page = render_shared("stats/public_results.html", year=year, run=None)
        return _cacheable(Response(page, status=404), f"none-{year}")
    notice = public.public_notice(run)
    page = render_shared("stats/public_results.html", year=year, run=run, tables=public.public_tables(run),
                         notice=notice, published_on=local_date(run.published_at))
    return _cacheable(Response(page), f"run-{run.id}-{notice.id if notice else 0}", run.published_at)


@bp.route("/<int(min=2000, max=2100):year>/notice.pdf")
@shared_page
def notice_pdf(year):
    run = public.published_run(year)
    notice = public.public_notice(run) if run else None
    if notice is None:
        abort(404)
    filename = f"{notice.code} {notice.title}.pdf"
    response = Response(notice.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"notice-{year}.pdf\"; filename*=UTF-8''{quote(filename)}"})
    return _cacheable(response, f"notice-{notice.id}-{notice.sha256}", run.published_at)
