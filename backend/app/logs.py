"""The API's log lines: one JSON object per line (LOG_FORMAT=json) or text for a terminal, each
with the id of the request it belongs to.

``config()`` is logging's configuration for gunicorn's error and access logs and the app's own
logger; backend/gunicorn.conf.py hands it to gunicorn (logconfig_dict). The standard library
only: gunicorn's master loads this file by path, without the app, as it loads settings.py.

The request id is nginx's X-Request-ID (its own, or a trusted proxy's). A record logged while
Flask handles a request carries it without the caller passing it: ``RequestId`` reads it from
Flask's request context. gunicorn's access line takes it from the request's headers.
"""

import json
import logging
import sys
from datetime import datetime

FORMATS = ("json", "text")
# The app's logger: Flask names it after the package (Flask(__name__) in app/__init__.py); a
# module's logging.getLogger(__name__) ("app.api") is its child and goes the same way.
APP_LOGGER = "app"
# gunicorn's text lines, with the request id added to a record that has one.
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
TEXT_DATE = "[%Y-%m-%d %H:%M:%S %z]"
# gunicorn's text access line: the client is the X-Forwarded-For that nginx set (gunicorn's %(h)s
# is nginx), the request id is nginx's, so one id finds a request in both logs.
ACCESS_TEXT_FORMAT = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(D)sus request_id=%({x-request-id}i)s'


def _request_id():
    """The X-Request-ID of the request Flask handles in this thread, or None (no request, or the
    master, which never imports Flask)."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    return flask.request.headers.get("X-Request-ID")


class RequestId(logging.Filter):
    """Sets record.request_id (None outside a request) on every record a handler writes."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id()
        return True


def _time(record):
    """ISO 8601 with milliseconds and the offset, as nginx's $time_iso8601 (without ms) writes it."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, pid, and the
    traceback (exc) when there is one."""

    def format(self, record):
        line = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """gunicorn's own text line, with request_id=... at the end of a record that has one."""

    def __init__(self):
        super().__init__(TEXT_FORMAT, TEXT_DATE)

    def format(self, record):
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} request_id={request_id}" if request_id else text


def _number(value):
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _atom(atoms, key):
    """One of gunicorn's atoms as it was: gunicorn escapes '"' for its text line."""
    value = atoms.get(key)
    return value.replace('\\"', '"') if isinstance(value, str) else value


def _header(atoms, name):
    value = _atom(atoms, f"{{{name}}}i")
    return None if value in (None, "-") else value


class AccessJsonFormatter(logging.Formatter):
    """gunicorn's access line as JSON, from the request's atoms (record.args), without building
    the text line at all."""

    def format(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        line = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": _header(atoms, "x-request-id"),
            "client": _header(atoms, "x-forwarded-for"),
            "method": atoms.get("m"),
            "path": _atom(atoms, "{raw_uri}e"),
            "status": _number(atoms.get("s")),
            "bytes": _number(atoms.get("B")),
            "duration_us": _number(atoms.get("D")),
            "user_agent": _header(atoms, "user-agent"),
            "pid": record.process,
        }
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def config(log_format="json", level="info", access_log=True):
    """logging's dictConfig for gunicorn (logconfig_dict) and the app: errors and the app's
    records to stderr, access lines to stdout, as gunicorn's own defaults write them."""
    as_json = log_format == "json"
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestId}},
        "formatters": {
            "lines": {"()": JsonFormatter if as_json else TextFormatter},
            "access": {"()": AccessJsonFormatter} if as_json else {"format": "%(message)s"},
        },
        "handlers": {
            "lines": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "lines",
                "filters": ["request_id"],
            },
            "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
        },
        "root": {"level": "WARNING", "handlers": ["lines"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["lines"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"] if access_log else [], "propagate": False},
            APP_LOGGER: {"level": level, "handlers": ["lines"], "propagate": False},
        },
    }
