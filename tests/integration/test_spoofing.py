"""Forwarding headers from a client that is not a trusted proxy change nothing.

Each forged header, alone and all together, is sent from 127.0.0.1 and from a second loopback
address (127.0.0.2); the redirect and whoami must come out as if it had not been sent.
"""

import pytest

from support.rawhttp import request

FORGED = {
    "X-Forwarded-Host": "evil.example:6666",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
    "X-Forwarded-For": "203.0.113.66",
    "Forwarded": "for=203.0.113.66;host=evil.example;proto=https",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Protocol": "ssl",
    "X-Forwarded-Scheme": "https",
    "X-Real-IP": "203.0.113.66",
    "X-Url-Scheme": "https",
}
CASES = [pytest.param({name: value}, id=name) for name, value in FORGED.items()]
CASES.append(pytest.param(FORGED, id="all-together"))
CASES.append(pytest.param({"X-Forwarded-For": "203.0.113.66, 198.51.100.7"}, id="xff-list"))
CASES.append(pytest.param({"X-Forwarded-Host": "evil.example"}, id="xfh-without-port"))
SOURCES = ["127.0.0.1", "127.0.0.2"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("headers", CASES)
def test_forged_headers_do_not_move_the_redirect(stack, headers, source):
    response = request(stack.port, "/api/", headers=headers, source=source)
    assert response.status == 302
    assert response.header("Location") == f"http://localhost:{stack.port}/api/result"


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("headers", CASES)
def test_forged_headers_do_not_change_what_flask_sees(stack, headers, source):
    whoami = request(stack.port, "/api/whoami", headers=headers, source=source).json()
    assert whoami["remote_addr"] == source
    assert whoami["scheme"] == "http"
    assert whoami["host"] == f"localhost:{stack.port}"
    assert whoami["script_root"] == "/api"


def test_absolute_form_request_line_does_not_move_the_redirect(stack):
    response = request(stack.port, target="http://evil.example/api/")
    assert response.header("Location") == f"http://localhost:{stack.port}/api/result"


def test_underscore_headers_never_reach_gunicorn(stack):
    # gunicorn reads a SCRIPT_NAME header from trusted peers; nginx drops underscore headers.
    response = request(stack.port, "/api/whoami", headers={"SCRIPT_NAME": "/evil", "Script-Name": "/evil"})
    assert response.status == 200
    assert response.json()["script_root"] == "/api"
