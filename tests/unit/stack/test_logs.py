"""stack/logs.py: which lines of the run folder's logs reach the terminal."""

import logging

import pytest

from app.logs import JsonFormatter, TextFormatter
from stack import logs


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("WARNING", False), ("ERROR", True), ("CRITICAL", True)])
def test_gunicorns_and_the_apps_errors_reach_the_terminal_in_either_format(formatter, level, shown):
    record = logging.makeLogRecord({"name": "app", "levelname": level, "levelno": getattr(logging, level), "msg": "hi"})
    assert logs.gunicorn_error(formatter.format(record)) is shown
