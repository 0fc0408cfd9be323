"""HTTPS at the edge, for real: caddy/Caddyfile gets a certificate for DOMAIN from Pebble by
ACME and fronts the native stack; a client sees http://DOMAIN/ and https://DOMAIN/ on the
default ports (see support/acme.py)."""

import ssl
import subprocess

import pytest

from support.acme import DOMAIN, handshake
from support.rawhttp import request

HSTS = "max-age=31536000"
FORGED = {
    "X-Forwarded-For": "203.0.113.66",
    "X-Forwarded-Host": "evil.example:6666",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Prefix": "/evil",
    "X-Request-ID": "forged-id",
    "Forwarded": "for=203.0.113.66;proto=http",
}


def https(edge, path, **kwargs):
    return request(443, path, host=DOMAIN, address=edge.address, tls=(edge.pebble.root, DOMAIN), **kwargs)


def http(edge, path, **kwargs):
    return request(80, path, host=DOMAIN, address=edge.address, **kwargs)


def test_time_to_certificate(acme_edge):
    print(f"time to certificate: {acme_edge.seconds_to_certificate:.2f} s")
    assert "certificate obtained successfully" in acme_edge.log.read_text()


def test_certificate_is_issued_by_pebbles_ca_for_the_domain(acme_edge):
    certificate, _ = handshake(acme_edge.address, acme_edge.tls_context())
    assert ("DNS", DOMAIN) in certificate["subjectAltName"]
    issuer = dict(pair for rdn in certificate["issuer"] for pair in rdn)
    assert issuer["commonName"].startswith("Pebble Intermediate CA")


def test_certificate_is_not_trusted_without_pebbles_root(acme_edge):
    # The check above means something: the system's roots do not accept this certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(acme_edge.address, ssl.create_default_context())


def test_alpn_negotiates_h2(acme_edge):
    assert handshake(acme_edge.address, acme_edge.tls_context())[1] == "h2"
    # And a real HTTP/2 exchange: curl speaks h2 only if the server agreed to it.
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "--http2",
            "--resolve",
            f"{DOMAIN}:443:{acme_edge.address}",
            "--cacert",
            str(acme_edge.pebble.root),
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{response_code}",
            f"https://{DOMAIN}/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout == "2 200", result.stderr


@pytest.mark.parametrize("path", ["/", "/about?tab=1", "/api/", "/api/result"])
def test_http_redirects_to_the_same_url_on_https(acme_edge, path):
    response = http(acme_edge, path)
    assert response.status == 308
    assert response.header("Location") == f"https://{DOMAIN}{path}"


def test_redirect_chain_ends_at_the_https_result(acme_edge):
    first = http(acme_edge, "/api/")
    assert first.header("Location") == f"https://{DOMAIN}/api/"
    second = https(acme_edge, "/api/")
    assert second.status == 302
    assert second.header("Location") == f"https://{DOMAIN}/api/result"
    final = https(acme_edge, "/api/result")
    assert final.status == 200
    assert final.json()["url"] == f"https://{DOMAIN}/api/result"


def test_api_sees_https_on_the_default_port(acme_edge):
    whoami = https(acme_edge, "/api/whoami").json()
    assert whoami["scheme"] == "https"
    assert whoami["port"] == 443
    assert whoami["result_url"] == f"https://{DOMAIN}/api/result"


def test_forged_client_headers_do_not_pass_the_front(acme_edge):
    response = https(acme_edge, "/api/", headers=FORGED)
    assert response.header("Location") == f"https://{DOMAIN}/api/result"
    assert response.header("X-Request-ID") != "forged-id"
    assert https(acme_edge, "/api/whoami", headers=FORGED).json()["script_root"] == "/api"


@pytest.mark.parametrize("path", ["/", "/api/result", "/api/no-such-route"])
def test_hsts_on_https(acme_edge, path):
    assert https(acme_edge, path).header("Strict-Transport-Security") == HSTS


def test_no_hsts_on_plain_http(acme_edge):
    # Neither Caddy's redirect nor nginx itself over plain http sends it.
    assert http(acme_edge, "/").header("Strict-Transport-Security") is None
    direct = request(acme_edge.stack.port, "/api/result")
    assert direct.status == 200
    assert direct.header("Strict-Transport-Security") is None


@pytest.mark.parametrize("path", ["/", "/api/result", "/api/missing"])
def test_no_server_header_through_the_front(acme_edge, path):
    # Neither Caddy's own nor nginx's: the front names no software.
    assert https(acme_edge, path).header("Server") is None
