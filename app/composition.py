"""The one place that knows every domain: blueprints, commands and the signals between domains."""
from flask_login import current_user

from app import cli, site
from app.audit import cli as audit_cli, signals as audit_signals, views as audit_views
from app.documents import blueprints as document_blueprints
from app.kernel import headers
from app.kernel.clock import chinese_date, local_today
from app.kernel.forms import error_attrs
from app.kernel.text import chinese_numeral
from app.kernel.links import public_base_missing
from app.registry import api as registry_api, auth, cli as registry_cli, views as registry_views
from app.registry.models import Role
from complaints import (blueprints as case_blueprints, deductions, followup, holidays, integrity, notify,
                        operations as case_operations)
from stats.web import blueprints as stats_blueprints, live, signals as stats_signals
from surveys import signals as survey_signals
from surveys.admin_views import bp as survey_admin_bp
from surveys.progress_views import bp as survey_progress_bp
from surveys.exchange_views import bp as exchange_bp
from surveys.kiosk import admin_views as pad_admin_views, views as kiosk_views
from surveys.services import api as services_api, staff_views as services_staff, views as services_views
from surveys.views import bp as surveys_bp

# Path prefixes of the staff side (sign-in included); everything else is a citizen's page.
STAFF_PATHS = ("/staff", "/admin", "/stats", "/auth")


def wire(app):
    for blueprint in (site.bp, auth.bp, registry_views.bp, audit_views.bp, registry_api.bp, surveys_bp, survey_admin_bp,
                      survey_progress_bp, exchange_bp, kiosk_views.bp, pad_admin_views.bp, services_views.bp,
                      services_staff.bp, services_api.bp, *case_blueprints(),
                      *stats_blueprints(), *document_blueprints()):
        app.register_blueprint(blueprint)
    headers.init_app(app, staff_paths=STAFF_PATHS)
    app.context_processor(lambda: {"public_base_missing": public_base_missing()})
    app.context_processor(_holiday_notice_missing)
    app.add_template_global(error_attrs)
    app.add_template_filter(chinese_date, "cn_date")
    app.add_template_filter(chinese_numeral, "cn_numeral")
    cli.init_app(app)
    registry_cli.init_app(app)
    audit_cli.init_app(app)
    # Connecting the same module-level function again (one app per test) is a no-op for blinker.
    survey_signals.callback_requested.connect(_store_callback_request, weak=False)
    stats_signals.overdue_deductions_wanted.connect(_overdue_deductions, weak=False)
    stats_signals.callback_counts_wanted.connect(_callback_counts, weak=False)
    survey_signals.live_screening_wanted.connect(_live_alarms, weak=False)
    audit_signals.integrity_checks_wanted.connect(_case_integrity, weak=False)
    stats_signals.working_day_wanted.connect(_working_day, weak=False)
    stats_signals.unit_notice_wanted.connect(_unit_notice, weak=False)


def _holiday_notice_missing():
    """For the office's pages: next year's holiday notice is due (November on) and not loaded yet."""
    # Outside a request (a command rendering a PDF) there is no user at all.
    if not getattr(current_user, "is_authenticated", False) or current_user.role not in (Role.admin, Role.handler):
        return {}
    return {"holiday_notice_missing": holidays.missing_notice_year(local_today())}


def _store_callback_request(_sender, **request):
    case_operations.store_callback_request(**request)


def _overdue_deductions(_sender, year):
    return deductions.deductions_for_year(year)


def _callback_counts(_sender, year):
    return followup.callback_counts(year)


def _live_alarms(_sender, campaign_id, now):
    return live.live_alarms(campaign_id, now)


def _case_integrity(_sender):
    return integrity.cases_off_their_timeline()


def _working_day(_sender, start, days):
    return holidays.work_calendar().add_working_days(start, days)[0]


def _unit_notice(_sender, unit_id, text, key):
    return notify.to_unit_text(unit_id, text, dedupe_key=key)
