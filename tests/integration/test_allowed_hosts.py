"""ALLOWED_HOSTS: nginx refuses other hosts (a JSON 400) before Flask, which checks again."""

import time

import pytest

from support.rawhttp import request


@pytest.fixture(scope="module")
def restricted(start_stack):
    """A stack that answers only for public.example, localhost and *.example.org."""
    return start_stack(ALLOWED_HOSTS="public.example, localhost .example.org", TRUSTED_PROXIES="127.0.0.1")


@pytest.mark.parametrize(
    "host, path, status",
    [
        ("localhost:{port}", "/api/", 302),
        ("Public.Example:{port}", "/api/", 302),
        ("example.org", "/api/", 302),
        ("a.b.example.org:{port}", "/api/whoami", 200),
        ("evil.example:{port}", "/api/", 400),
        ("notexample.org", "/api/", 400),
        ("127.0.0.1:{port}", "/api/", 400),
        ("evil.example", "/", 400),
    ],
)
def test_allowed_hosts(restricted, host, path, status):
    response = request(restricted.port, path, host=host.format(port=restricted.port), source="127.0.0.2")
    assert response.status == status
    if status == 400 and path.startswith("/api/"):
        assert response.json() == {
            "error": "Bad Request",
            "message": "This host is not served here: it is not in ALLOWED_HOSTS.",
            "status": 400,
        }
    elif status == 400:  # outside the API prefix nginx's errors are one line of text
        assert response.text == "400 Bad Request: This host is not served here: it is not in ALLOWED_HOSTS.\n"


def test_allowed_hosts_apply_to_the_forwarded_host(restricted):
    allowed = request(restricted.port, "/api/", headers={"X-Forwarded-Host": "public.example"})
    refused = request(restricted.port, "/api/", headers={"X-Forwarded-Host": "evil.example"})
    assert allowed.header("Location") == "http://public.example/api/result"
    assert refused.status == 400


def test_refused_host_never_reaches_flask(restricted):
    marker = "/api/refused-host-marker"
    assert request(restricted.port, marker, host="evil.example").status == 400
    assert request(restricted.port, "/api/allowed-host-marker").status == 404
    # gunicorn logs a request just after answering it: wait for the allowed one to appear.
    deadline = time.monotonic() + 5
    while "allowed-host-marker" not in (log := restricted.log_path("gunicorn").read_text()):
        assert time.monotonic() < deadline, "gunicorn's access log shows no request at all"
        time.sleep(0.05)
    assert "refused-host-marker" not in log


def test_without_allowed_hosts_every_host_is_served(stack):
    assert request(stack.port, "/api/", host="anything.example").status == 302
