"""Who is believed: forwarded headers count only from TRUSTED_PROXIES, by peer address.

With no proxies configured, each forged header, alone and all together, is sent from 127.0.0.1
and from a second loopback address (127.0.0.2); the redirect and whoami must come out as if it
had not been sent. With proxies configured, an untrusted peer still changes nothing and a
trusted one is believed.
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


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("headers", CASES)
def test_forged_headers_do_not_move_the_described_server(stack, headers, source):
    description = request(stack.port, "/api/openapi.json", headers=headers, source=source).json()
    assert description["servers"] == [{"url": f"http://localhost:{stack.port}/api"}]


def test_absolute_form_request_line_does_not_move_the_redirect(stack):
    response = request(stack.port, target="http://evil.example/api/")
    assert response.header("Location") == f"http://localhost:{stack.port}/api/result"


def test_underscore_headers_never_reach_gunicorn(stack):
    # gunicorn reads a SCRIPT_NAME header from trusted peers; nginx drops underscore headers.
    response = request(stack.port, "/api/whoami", headers={"SCRIPT_NAME": "/evil", "Script-Name": "/evil"})
    assert response.status == 200
    assert response.json()["script_root"] == "/api"


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
    description = request(trusting.port, "/api/openapi.json", headers=headers, source="127.0.0.2").json()
    assert description["servers"] == [{"url": f"http://localhost:{trusting.port}/api"}]


@pytest.mark.parametrize(
    "address, source",
    [pytest.param("127.0.0.1", "127.0.0.1", id="ipv4-peer"), pytest.param("::1", None, id="ipv6-peer")],
)
def test_trusted_peer_is_believed(trusting, address, source):
    response = request(trusting.port, "/api/", headers=FORWARDED, address=address, source=source)
    whoami = request(trusting.port, "/api/whoami", headers=FORWARDED, address=address, source=source).json()
    assert response.header("Location") == "https://public.example:8443/tenant/api/result"
    assert whoami["remote_addr"] == "203.0.113.9"
    description = request(trusting.port, "/api/openapi.json", headers=FORWARDED, address=address, source=source)
    assert description.json()["servers"] == [{"url": "https://public.example:8443/tenant/api"}]


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
