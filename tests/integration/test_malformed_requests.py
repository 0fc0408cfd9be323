"""Malformed and hostile requests get a 4xx, never a 5xx, and never reach Flask where they
should not. Each is sent raw, as an attacker would, to the real stack."""

import pytest

from support.rawhttp import exchange, raw, request

BIG = 1024 * 1024 + 1


CASES = [
    pytest.param(
        raw(
            "POST /api/result HTTP/1.1",
            "Host: localhost",
            "Content-Length: 5",
            "Transfer-Encoding: chunked",
            body=b"0\r\n\r\n",
        ),
        400,
        id="content-length-with-transfer-encoding",
    ),
    pytest.param(
        raw("POST /api/result HTTP/1.1", "Host: localhost", "Content-Length: 5", "Content-Length: 6", body=b"hello!"),
        400,
        id="duplicate-content-length",
    ),
    pytest.param(
        raw("POST /api/result HTTP/1.1", "Host: localhost", "Transfer-Encoding: gzip, chunked", body=b"0\r\n\r\n"),
        400,
        id="unknown-transfer-coding",
    ),
    pytest.param(raw("GET /api/result HTTP/1.1", "Host: localhost", "Host: evil.example"), 400, id="duplicate-host"),
    pytest.param(raw("GET /api/result HTTP/1.1", "Host: local host"), 400, id="host-with-space"),
    pytest.param(raw("GET /api/result HTTP/1.1", "Host: [::1"), 400, id="host-broken-ipv6"),
    pytest.param(raw("GET /api/result HTTP/1.1", "Host: evil.example/path"), 400, id="host-with-slash"),
    pytest.param(
        raw("GET /api/result HTTP/1.1", "Host: localhost", "X-Big: " + "a" * 20000), 431, id="oversized-header"
    ),
    pytest.param(raw("GET /api/" + "a" * 20000 + " HTTP/1.1", "Host: localhost"), 414, id="oversized-request-line"),
    pytest.param(raw("GET /%61pi/result HTTP/1.1", "Host: localhost"), 400, id="encoded-prefix"),
    pytest.param(raw("GET /x/../api/result HTTP/1.1", "Host: localhost"), 400, id="dotted-into-prefix"),
    pytest.param(
        raw("GET /api/result HTTP/1.1", "Host: localhost", "Content-Length: -1"), 400, id="negative-content-length"
    ),
    pytest.param(raw("GARBAGE"), 400, id="not-http"),
    pytest.param(
        raw("POST /api/result HTTP/1.1", "Host: localhost", f"Content-Length: {BIG}"), 413, id="body-over-limit"
    ),
]


@pytest.mark.parametrize("data, status", CASES)
def test_hostile_request_gets_a_4xx(stack, data, status):
    response = exchange(stack.port, data)
    assert response.status == status


@pytest.mark.parametrize(
    "data, status",
    [
        c
        for c in CASES
        if c.id
        in (
            "content-length-with-transfer-encoding",
            "duplicate-content-length",
            "oversized-header",
            "oversized-request-line",
            "encoded-prefix",
            "body-over-limit",
            "unknown-transfer-coding",
        )
    ],
)
def test_hostile_request_under_the_prefix_gets_json(stack, data, status):
    response = exchange(stack.port, data)
    assert response.header("Content-Type") == "application/json"
    assert response.json()["status"] == status


def test_chunked_body_over_the_limit_is_a_413(stack):
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17)) + b"0\r\n\r\n"
    response = exchange(
        stack.port, raw("POST /api/result HTTP/1.1", "Host: localhost", "Transfer-Encoding: chunked", body=body)
    )
    assert response.status == 413


def test_well_formed_chunked_body_is_served(stack):
    response = exchange(
        stack.port,
        raw(
            "POST /api/result HTTP/1.1",
            "Host: localhost",
            "Transfer-Encoding: chunked",
            "Connection: close",
            body=b"5\r\nhello\r\n0\r\n\r\n",
        ),
    )
    assert response.status == 200


def test_lookalike_paths_never_reach_flask(stack):
    for path in ("/apiX", "/apiary/x"):
        assert request(stack.port, path).status == 200, path  # the SPA's fallback
    assert request(stack.port, "/api.json").status == 404  # a file the build does not ship
    assert request(stack.port, "/api/lookalike-control").status == 404
    log = stack.log_path("gunicorn").read_text()
    assert "/apiX" not in log and "/apiary" not in log and "/api.json" not in log


def test_no_hostile_request_made_gunicorn_fail(stack):
    for case in CASES:
        exchange(stack.port, case.values[0])
    log = stack.log_path("gunicorn").read_text()
    assert '" 500 ' not in log
    assert "Traceback" not in log
    assert "does not start with SCRIPT_NAME" not in log
