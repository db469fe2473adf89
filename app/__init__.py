"""Xiaoneng (效能测评): public-satisfaction surveys and complaint intake for 机关效能建设考核.

This package is the composition root: `create_app` builds the kernel (app.kernel) and wires in every
domain (app.registry, surveys, complaints, stats.web) through app.composition. Nothing below the
composition imports it.
"""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import UnicodeConverter

from app.kernel import config, db, ratelimit, sessions


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
    sessions.init_app(app)  # first: its hook reads the session before CSRF checks and sign-in look at it
    db.init_app(app)
    ratelimit.init_app(app)
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    from app import composition  # late: the domains import the kernel, which runs this package first

    composition.wire(app)
    return app


class TextConverter(UnicodeConverter):
    """A path part with a control character matches no route (404), so it never reaches a query."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f]")
