"""Every error nginx answers itself has a body by where the request went: JSON under the API
prefix, one line of plain text elsewhere; never nginx's HTML page.

The statuses the stack's config produces on its own are sent for real to the default stack.
The ones it never produces in a place (500, 503 anywhere; 502, 504 outside the API prefix) and
the 408 (CLIENT_TIMEOUT=1) come from a stack whose rendered config has `return` lines added:
the error pages, maps and headers under test are the real ones.
"""

import os
import socket
import subprocess
import time

import pytest

from stack.native import NativeStack
from support.rawhttp import exchange, raw, request
from support.stacks import stack_settings

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BIG = 2 * 1024 * 1024
FAULTS = (500, 502, 503, 504)

# Where the request went: the API, a client route (index.html's location), a file.
API, ROUTE, FILE = "/api/result", "/about", "/robots.txt"

NAMES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
MESSAGES = {
    400: "The request is malformed.",
    404: "There is no file at this path.",
    405: "Files here answer GET and HEAD only.",
    413: "The request body is larger than MAX_BODY_SIZE allows.",
    414: "The request line is too long.",
    431: "The request headers are too large.",
}
API_MESSAGES = {
    500: "The request could not be served.",
    502: "The API is not reachable: it is down or restarting.",
    503: "The API is not reachable: it is down or restarting.",
    504: "The API did not answer within API_TIMEOUT.",
}


def json_body(status):
    message = MESSAGES.get(status) or API_MESSAGES[status]
    return {"error": NAMES[status], "message": message, "status": status}


def text_body(status):
    message = MESSAGES.get(status) or "The server could not serve this file."
    return f"{status} {NAMES[status]}: {message}\n"


def assert_error(response, status, kind):
    assert response.status == status
    assert response.header("Content-Type") == kind
    if kind == JSON:
        assert response.json() == json_body(status)
    else:
        assert response.text == text_body(status)
    # An error describes one request; the security headers are there too ("always").
    assert response.header("Cache-Control") == "no-store"
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("X-Request-ID")
    assert b"<html" not in response.body.lower()


def malformed_host(path):
    return raw(f"GET {path} HTTP/1.1", "Host: local host")


def oversized_header(path):  # nginx's 494, answered as 431
    return raw(f"GET {path} HTTP/1.1", "Host: localhost", "X-Big: " + "a" * 20000)


def body_over_the_limit(path):
    return raw(f"POST {path} HTTP/1.1", "Host: localhost", f"Content-Length: {BIG}")


def unknown_transfer_coding(path):  # nginx's 501, answered as 400
    return raw(f"POST {path} HTTP/1.1", "Host: localhost", "Transfer-Encoding: gzip, chunked")


@pytest.mark.parametrize(
    "make, status",
    [
        pytest.param(malformed_host, 400, id="400-malformed-host"),
        pytest.param(unknown_transfer_coding, 400, id="400-unknown-transfer-coding"),
        pytest.param(body_over_the_limit, 413, id="413"),
        pytest.param(oversized_header, 431, id="431-from-494"),
    ],
)
@pytest.mark.parametrize(
    "path, kind",
    [
        pytest.param(API, JSON, id="api"),
        pytest.param(ROUTE, TEXT, id="client-route"),
        pytest.param(FILE, TEXT, id="file"),
    ],
)
def test_errors_before_routing_are_written_by_where_the_request_went(stack, make, status, path, kind):
    assert_error(exchange(stack.port, make(path)), status, kind)


@pytest.mark.parametrize("path", ["/api/" + "a" * 20000, "/" + "a" * 20000])
def test_a_request_line_too_long_to_read_has_no_path_and_gets_json(stack, path):
    assert_error(exchange(stack.port, raw(f"GET {path} HTTP/1.1", "Host: localhost")), 414, JSON)


def test_a_request_that_is_not_http_gets_json(stack):
    assert_error(exchange(stack.port, raw("GARBAGE")), 400, JSON)


@pytest.mark.parametrize("path", ["/missing.png", "/assets/index-missing.js", "/.well-known/missing"])
def test_a_missing_file_is_a_plain_text_404(stack, path):
    assert_error(request(stack.port, path), 404, TEXT)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", [ROUTE, FILE, "/"])
def test_a_file_answers_other_methods_with_a_plain_text_405_and_allow(stack, method, path):
    response = request(stack.port, path, method=method, body=b"x")
    assert_error(response, 405, TEXT)
    assert response.headers.get_all("Allow") == ["GET, HEAD"]


def test_under_the_api_prefix_404_and_405_are_the_apis_own_json(stack):
    # nginx never answers these under the prefix: Flask does, in the same shape.
    missing = request(stack.port, "/api/missing")
    assert (missing.status, missing.header("Content-Type"), missing.json()["status"]) == (404, JSON, 404)
    wrong = request(stack.port, API, method="DELETE")
    assert (wrong.status, wrong.header("Content-Type"), wrong.json()["status"]) == (405, JSON, 405)
    [allow] = wrong.headers.get_all("Allow")  # one, Flask's: nginx adds none here
    assert sorted(allow.split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert wrong.header("Cache-Control") == "no-store"


@pytest.mark.parametrize("path, allow", [(API, "GET, HEAD, OPTIONS, POST"), ("/api/whoami", "GET, HEAD, OPTIONS")])
def test_trace_under_the_api_prefix_gets_the_apis_405_with_allow(stack, path, allow):
    # nginx refuses TRACE before any location; under the prefix the API answers it, as its own 405.
    response = request(stack.port, path, method="TRACE")
    assert (response.status, response.header("Content-Type")) == (405, JSON)
    assert response.json()["error"] == "Method Not Allowed"
    assert sorted(response.header("Allow").split(", ")) == allow.split(", ")
    outside = request(stack.port, "/about", method="TRACE")
    assert_error(outside, 405, TEXT)


def test_api_down_is_a_json_502(start_stack):
    own = start_stack()
    own.stop_process("gunicorn")
    response = request(own.port, API)
    assert (response.status, response.header("Content-Type")) == (502, JSON)
    assert response.json() == json_body(502)
    # Outside the prefix nothing changed: the SPA still loads.
    assert request(own.port, "/").status == 200


# ---- Statuses the config never produces by itself, from injected `return` lines ----------------
class FaultyStack(NativeStack):
    """The native stack with `?fault=<status>` answered by `return <status>` in the API, client
    route and file locations."""

    def render(self):
        super().render()
        site = self.run_dir / "conf.d" / "default.conf"
        config = site.read_text()
        faults = "".join(f"if ($arg_fault = {code}) {{ return {code}; }}\n" for code in FAULTS)
        for opening in ("    location /api/ {\n", "    location / {\n", '|/[^/]*\\.[^/]*$" {\n'):
            assert config.count(opening) == 1, opening
            config = config.replace(opening, opening + faults)
        site.write_text(config)
        check = subprocess.run(self._nginx_cmd("-t", "-q"), capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


@pytest.fixture(scope="module")
def faulty(built_frontend, start_stack):
    """A FaultyStack for this module; its run folder is removed with the session's."""
    stack = FaultyStack(stack_settings(CLIENT_TIMEOUT="1"), name=f"tests/{os.getpid()}-faulty", quiet=True, build=False)
    stack.start()
    yield stack
    stack.stop()


@pytest.mark.parametrize("status", FAULTS)
@pytest.mark.parametrize(
    "path, kind",
    [
        pytest.param(API, JSON, id="api"),
        pytest.param(ROUTE, TEXT, id="client-route"),
        pytest.param(FILE, TEXT, id="file"),
    ],
)
def test_server_errors_are_written_by_where_the_request_went(faulty, status, path, kind):
    assert_error(request(faulty.port, f"{path}?fault={status}"), status, kind)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GET /api/result HTTP/1.1\r\nHost: localhost\r\n", id="headers-never-end"),
        pytest.param(
            b"POST /api/result HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab", id="body-never-ends"
        ),
    ],
)
def test_408_closes_the_connection_without_an_answer(faulty, data):
    # nginx logs a 408 but sends nothing: a client that stalls is not waiting for a body.
    with socket.create_connection(("127.0.0.1", faulty.port), timeout=10) as sock:
        sock.sendall(data)
        started = time.monotonic()
        received = sock.recv(65536)
        elapsed = time.monotonic() - started
    assert received == b""
    assert 0.5 < elapsed < 8, f"closed after {elapsed:.2f} s with a 1 s timeout"
    deadline = time.monotonic() + 5
    while '" 408 0 ' not in (faulty.run_dir / "access.log").read_text():
        assert time.monotonic() < deadline, "nginx did not log the 408"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def restricted(start_stack):
    """A stack that answers example.com only."""
    return start_stack(ALLOWED_HOSTS="example.com")


@pytest.mark.parametrize("path", ["/.stack-error", "/.stack-error.txt", "/.stack-errors", "/.stack-error.txt.bak"])
def test_the_error_pages_cannot_be_asked_for_nor_open_a_way_past_the_host_check(restricted, path):
    assert_error(request(restricted.port, path, host="example.com"), 404, TEXT)
    # The two pages themselves get past the host check (their own errors must), and are
    # internal: a refused host gets a 404 there, and the 400 everywhere else.
    refused = request(restricted.port, path, host="evil.example")
    assert refused.status == (404 if path in ("/.stack-error", "/.stack-error.txt") else 400)
    assert refused.header("Content-Type") == TEXT
