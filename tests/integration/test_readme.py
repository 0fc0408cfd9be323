"""The documentation's tables say what the running stack does: whoami's fields
(docs/headers.md), the caching table (docs/caching.md)."""

import re

import pytest

from stack.env import ROOT
from support.rawhttp import request

HEADERS = ROOT / "docs" / "headers.md"
CACHING_PAGE = ROOT / "docs" / "caching.md"
WHOAMI_HEADING = "## Check it: whoami"


def table_after(path, heading_line):
    """The rows (lists of cells) of the first table after the line of `path` that starts with
    heading_line."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading_line))
    rows = []
    for line in lines[start + 1 :]:
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not re.fullmatch(r"\|(-+\|)+", line):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows[1:]  # without the header row


def code(cell):
    """The `code` spans of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def test_the_docs_list_every_whoami_field_in_the_order_the_endpoint_sends_them(stack):
    documented = [code(row[0])[0] for row in table_after(HEADERS, WHOAMI_HEADING)]
    assert documented == list(request(stack.port, "/api/whoami").json())


def test_the_docs_whoami_examples_are_what_a_default_stack_answers(stack):
    answer = request(stack.port, "/api/whoami").json()
    for field, _, example in table_after(HEADERS, WHOAMI_HEADING):
        value = code(example)[0].replace("8000", str(stack.port))
        assert str(answer[code(field)[0]]) == value, field


CACHING = table_after(CACHING_PAGE, "| Response | Example |")


@pytest.mark.parametrize("row", CACHING, ids=[row[0] for row in CACHING])
def test_the_docs_caching_table_is_what_the_stack_sends(stack, row):
    examples, [cache_control] = code(row[1]), code(row[2])
    assert examples
    html = request(stack.port, "/").text
    for example in examples:
        if "<hash>" in example:  # the build's real name for it
            pattern = re.escape(example).replace(re.escape("<hash>"), r"[A-Za-z0-9_-]+")
            example = re.search(pattern, html).group(0)
        response = request(stack.port, example)
        assert response.headers.get_all("Cache-Control") == [cache_control], example
