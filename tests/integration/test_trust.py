"""Who is believed: forwarded headers count only from TRUSTED_PROXIES, by peer address."""

import time

import pytest

from support.rawhttp import request

FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "public.example:8443",
    "X-Forwarded-Prefix": "/tenant",
}
SPOOFS = [
    {"X-Forwarded-Host": "evil.example:6666"},
    {"X-Forwarded-Port": "6666"},
    {"X-Forwarded-Proto": "https"},
    {"X-Forwarded-Prefix": "/evil"},
    {"X-Forwarded-For": "203.0.113.66"},
    {"X-Forwarded-Ssl": "on"},
    {"Forwarded": "for=203.0.113.66;host=evil.example;proto=https"},
    dict(FORWARDED, **{"X-Forwarded-Port": "6666", "X-Forwarded-Ssl": "on"}),
]


@pytest.fixture(scope="module")
def trusting(start_stack):
    """A stack that trusts 127.0.0.1 and ::1, not 127.0.0.2."""
    return start_stack(TRUSTED_PROXIES="127.0.0.1, ::1/128")


@pytest.mark.parametrize("headers", SPOOFS, ids=lambda h: "+".join(h))
def test_untrusted_peer_changes_nothing_even_when_proxies_are_configured(trusting, headers):
    response = request(trusting.port, "/api/", headers=headers, source="127.0.0.2")
    whoami = request(trusting.port, "/api/whoami", headers=headers, source="127.0.0.2").json()
    assert response.header("Location") == f"http://localhost:{trusting.port}/api/result"
    assert (whoami["remote_addr"], whoami["scheme"], whoami["script_root"]) == ("127.0.0.2", "http", "/api")


@pytest.mark.parametrize(
    "address, source",
    [pytest.param("127.0.0.1", "127.0.0.1", id="ipv4-peer"), pytest.param("::1", None, id="ipv6-peer")],
)
def test_trusted_peer_is_believed(trusting, address, source):
    response = request(trusting.port, "/api/", headers=FORWARDED, address=address, source=source)
    whoami = request(trusting.port, "/api/whoami", headers=FORWARDED, address=address, source=source).json()
    assert response.header("Location") == "https://public.example:8443/tenant/api/result"
    assert whoami["remote_addr"] == "203.0.113.9"


def test_trusted_peer_with_ipv6_forwarded_host(trusting):
    headers = dict(FORWARDED, **{"X-Forwarded-Host": "[2001:db8::1]:8443", "X-Forwarded-For": "2001:db8::7"})
    whoami = request(trusting.port, "/api/whoami", headers=headers).json()
    assert whoami["result_url"] == "https://[2001:db8::1]:8443/tenant/api/result"
    assert whoami["remote_addr"] == "2001:db8::7"


def test_forwarded_port_wins_over_the_port_in_the_host(trusting):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example", "X-Forwarded-Port": "8443"}
    assert (
        request(trusting.port, "/api/", headers=headers).header("Location") == "https://public.example:8443/api/result"
    )


def test_last_value_of_a_list_is_the_trusted_proxy_s(trusting):
    # The trusted proxy appends to what its client sent: only its own (last) value counts.
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "http, https"}
    whoami = request(trusting.port, "/api/whoami", headers=headers).json()
    assert (whoami["remote_addr"], whoami["scheme"]) == ("203.0.113.9", "https")


def test_ipv6_only_trust_does_not_cover_ipv4(start_stack):
    stack = start_stack(TRUSTED_PROXIES="::1")
    via_v4 = request(stack.port, "/api/", headers=FORWARDED)
    via_v6 = request(stack.port, "/api/", headers=FORWARDED, address="::1")
    assert via_v4.header("Location") == f"http://localhost:{stack.port}/api/result"
    assert via_v6.header("Location") == "https://public.example:8443/tenant/api/result"


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
