"""app/logs.py: every record logged during a request carries its X-Request-ID, as JSON or text;
gunicorn's access line as JSON from its atoms."""

import io
import json
import logging
import logging.config

import pytest
from gunicorn.glogging import SafeAtoms

from app import logs


@pytest.fixture
def lines():
    """The app's log as logs.config() configures it (JSON), written to a buffer: a list of the
    parsed lines. The loggers are put back afterwards."""
    out = io.StringIO()
    config = logs.config("json")
    config["handlers"]["lines"]["stream"] = out
    names = ("gunicorn.error", "gunicorn.access", logs.APP_LOGGER)
    saved = {name: (lg.handlers[:], lg.level, lg.propagate) for name in names if (lg := logging.getLogger(name))}
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    root.handlers[:], root.level = saved_root


def test_a_record_logged_during_a_request_carries_its_request_id(client, lines):
    response = client.get("/", headers={"X-Request-ID": "0123abcd"})
    assert response.status_code == 302
    (line,) = lines()
    assert line["request_id"] == "0123abcd"
    assert (line["level"], line["logger"], line["message"]) == ("INFO", "app", f"redirect to {response.location}")
    assert line["time"][:2] == "20" and line["time"][19] == "."  # ISO 8601 with milliseconds


def test_a_module_logger_of_the_app_carries_it_too(make_app, lines):
    app = make_app()

    @app.get("/work")
    def work():
        logging.getLogger("app.work").warning("slow %s", "query")
        return "done"

    app.test_client().get("/work", headers={"X-Request-ID": "77"})
    assert [(line["logger"], line["message"], line["request_id"]) for line in lines()] == [
        ("app.work", "slow query", "77")
    ]


def test_an_unexpected_error_is_logged_with_the_id_and_traceback(make_app, lines):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom?x=1", headers={"X-Request-ID": "e500"})
    assert response.status_code == 500
    (line,) = lines()
    assert (line["level"], line["request_id"], line["message"]) == ("ERROR", "e500", "unhandled error on GET /boom?x=1")
    assert "RuntimeError: secret detail" in line["exc"]


def test_outside_a_request_there_is_no_id(lines):
    logging.getLogger(logs.APP_LOGGER).info("starting")
    assert [(line["message"], line["request_id"]) for line in lines()] == [("starting", None)]


def test_text_lines_are_gunicorns_with_the_id_at_the_end():
    formatter, keep = logs.TextFormatter(), logs.RequestId()
    record = logging.makeLogRecord({"name": "app", "levelno": logging.INFO, "levelname": "INFO", "msg": "hi"})
    keep.filter(record)
    assert formatter.format(record).endswith("[INFO] hi")
    record.request_id = "abc"
    assert formatter.format(record).endswith("[INFO] hi request_id=abc")


def test_gunicorns_access_line_as_json_from_its_atoms():
    # The atoms as gunicorn's Logger.access passes them (SafeAtoms escapes '"' for text).
    atoms = SafeAtoms(
        {
            "m": "GET",
            "s": "302",
            "B": 231,
            "D": 1840,
            "{raw_uri}e": "/api/?q=1",
            "{x-request-id}i": "f00d",
            "{x-forwarded-for}i": "192.0.2.7",
            "{user-agent}i": 'curl "8"',
        }
    )
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, logs.ACCESS_TEXT_FORMAT, (atoms,), None)
    line = json.loads(logs.AccessJsonFormatter().format(record))
    assert {k: v for k, v in line.items() if k not in ("time", "pid")} == {
        "level": "INFO",
        "logger": "gunicorn.access",
        "request_id": "f00d",
        "client": "192.0.2.7",
        "method": "GET",
        "path": "/api/?q=1",
        "status": 302,
        "bytes": 231,
        "duration_us": 1840,
        "user_agent": 'curl "8"',
    }


@pytest.mark.parametrize("log_format", logs.FORMATS)
def test_the_access_log_off_leaves_gunicorns_access_logger_without_handlers(log_format):
    config = logs.config(log_format, access_log=False)
    assert config["loggers"]["gunicorn.access"]["handlers"] == []
    assert logs.config(log_format)["loggers"]["gunicorn.access"]["handlers"] == ["access"]
