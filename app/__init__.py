"""Xiaoneng (效能测评): public-satisfaction surveys and complaint intake for 机关效能建设考核."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import UnicodeConverter

from app import config, db


def create_app(test_config=None):
    """Application factory; the instance folder may be moved with XN_INSTANCE_PATH."""
    instance_path = os.environ.get("XN_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        template_folder="../templates",
    )
    config.load(app, test_config)
    if app.config["PROXY_HOPS"]:
        # Behind a reverse proxy the client address (used for rate limits) is in X-Forwarded-For.
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    _register_blueprints(app)
    from app import cli

    cli.init_app(app)
    return app


class TextConverter(UnicodeConverter):
    """A path part with a control character matches no route (404), so it never reaches a query."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f]")


def _register_blueprints(app):
    from app.views import bp as core_bp
    from app.auth import bp as auth_bp
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from surveys.views import bp as surveys_bp
    from surveys.admin_views import bp as survey_admin_bp
    from complaints import blueprints as case_blueprints
    from stats.web import blueprints as stats_blueprints

    for blueprint in (core_bp, auth_bp, admin_bp, api_bp, surveys_bp, survey_admin_bp, *case_blueprints(),
                      *stats_blueprints()):
        app.register_blueprint(blueprint)
