"""JSON errors: every error the API answers has the body ``{"error", "message", "status"}``.

nginx answers the errors it makes itself (413, 502, 503, 504) with the same shape, so a client
under the API prefix never has to parse HTML.
"""

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge


def error_response(status, error, message):
    response = jsonify(error=error, message=message, status=status)
    response.status_code = status
    return response


def _http_error(exc):
    response = error_response(exc.code, exc.name, exc.description)
    # Keep what the exception adds for the client, e.g. Allow on a 405.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected_error(exc):
    # The traceback goes to the app's log, with the request id; the client gets no internals.
    current_app.logger.error("unhandled error on %s %s", request.method, request.full_path.rstrip("?"), exc_info=exc)
    return _http_error(InternalServerError())


def _refuse_large_body():
    # Werkzeug only enforces the limit when a view reads the body; refuse before any view runs.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def register(app):
    app.before_request(_refuse_large_body)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
