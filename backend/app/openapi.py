"""The API's description: openapi.yaml beside this file, read once at start, served as JSON.

``GET <prefix>/openapi.json`` is the one route that does anything with it. Its ``servers`` URL
is the public API root of the request (``request.url_root``, which ProxyFix built from what
nginx decided), so a client generated from it calls the API where the browser found it.
"""

import json
from functools import lru_cache
from pathlib import Path

import yaml
from flask import Blueprint, current_app, request

SPEC_FILE = Path(__file__).with_name("openapi.yaml")

# What the body depends on besides the URL, when a trusted proxy in front of nginx sends them.
_VARY = "X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Port, X-Forwarded-Prefix"

bp = Blueprint("openapi", __name__)


def load(path=SPEC_FILE):
    """The description as a dict (about 15 ms, once per worker at start)."""
    with open(path, encoding="utf-8") as file:
        return yaml.safe_load(file)


def register(app):
    spec = load()

    # One JSON body per public root; a handful of hosts at most, bounded all the same.
    @lru_cache(maxsize=32)
    def body_for(server_url):
        return json.dumps({**spec, "servers": [{"url": server_url}]}, ensure_ascii=False).encode()

    app.extensions["openapi"] = {"spec": spec, "body_for": body_for}
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def description():
    body = current_app.extensions["openapi"]["body_for"](request.url_root.rstrip("/"))
    response = current_app.response_class(body, mimetype="application/json")
    # Caches may keep it but must ask again; the ETag (of this body) makes that a 304.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = _VARY
    response.add_etag()
    return response.make_conditional(request)
