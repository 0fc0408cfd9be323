"""The API's routes. They are written without the prefix: gunicorn's SCRIPT_NAME (and the
X-Forwarded-Prefix that nginx sends) puts it in front, and ``url_for`` adds it back."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

bp = Blueprint("api", __name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


@bp.get("/")
def index():
    """Redirect to the result with the absolute URL the browser used.

    Since Werkzeug 2.1 a Location header is sent as given, so ``_external=True`` is what
    makes it absolute: scheme, host, port and prefix all come from the request as ProxyFix
    rewrote it.
    """
    location = url_for("api.result", _external=True)
    # The request id rides along (app/logs.py): this line joins nginx's and gunicorn's.
    current_app.logger.info("redirect to %s", location)
    return redirect(location, code=302)


@bp.route("/result", methods=["GET", "POST"])
def result():
    return jsonify(
        message="You followed the redirect and reached the result.",
        method=request.method,
        url=url_for("api.result", _external=True),
    )


@bp.get("/whoami")
def whoami():
    """Describe the request as Flask sees it: the template's built-in diagnostic."""
    host_url = urlsplit(request.host_url)
    return jsonify(
        remote_addr=request.remote_addr,
        scheme=request.scheme,
        host=request.host,
        port=host_url.port or _DEFAULT_PORTS.get(request.scheme),
        script_root=request.script_root,
        url_root=request.url_root,
        result_url=url_for("api.result", _external=True),
        expected_prefix=current_app.config["API_PREFIX"],
    )


@bp.get("/health")
def health():
    return jsonify(status="ok")
