"""The Flask application factory.

The app runs under gunicorn with ``SCRIPT_NAME`` set to the API prefix, behind nginx. nginx is
the one place that decides which forwarded headers to believe; it sends exactly one value in
each X-Forwarded-* header, so ProxyFix here trusts exactly ``FORWARDED_HOPS`` (default 1) hop.
"""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, errors, openapi, settings


def create_app(test_config=None, environ=None):
    """Build the app from the environment; ``test_config`` overrides Flask config keys."""
    cfg = settings.load(environ)
    app = Flask(__name__)
    app.config.update(
        API_PREFIX=cfg.api_prefix,
        MAX_CONTENT_LENGTH=cfg.max_body_bytes,
        # Checked after ProxyFix applied X-Forwarded-Host; None lets every host through.
        TRUSTED_HOSTS=list(cfg.allowed_hosts) or None,
    )
    if test_config:
        app.config.update(test_config)
    # Keep the keys in the order the routes write them: whoami reads top to bottom.
    app.json.sort_keys = False

    if cfg.cors_origins:
        from flask_cors import CORS

        # Only for a dev server on another origin; through nginx the SPA is same-origin. Compiled
        # by us, anchored: flask-cors would read a '*' (or '[' of an IPv6 host) as an unanchored regex.
        origins = [settings.origin_pattern(origin) for origin in cfg.cors_origins]
        CORS(app, origins=origins, supports_credentials=False)

    errors.register(app)
    app.register_blueprint(api.bp)
    openapi.register(app)
    app.after_request(_no_store_unless_set)

    app.wsgi_app = _lowercase_host(app.wsgi_app)
    if cfg.forwarded_hops:
        hops = cfg.forwarded_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    return app


def _no_store_unless_set(response):
    """Every answer describes one request (whoami, result, redirects, errors, and health, which
    must never be served from a cache once the API is down): no cache may store it. A route
    that sets its own Cache-Control keeps it."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _lowercase_host(wsgi_app):
    """Host names are case-insensitive, but Werkzeug's TRUSTED_HOSTS check compares them
    exactly: lower-case the host (after ProxyFix set it) so Example.COM matches example.com."""

    def middleware(environ, start_response):
        if "HTTP_HOST" in environ:
            environ["HTTP_HOST"] = environ["HTTP_HOST"].lower()
        return wsgi_app(environ, start_response)

    return middleware
