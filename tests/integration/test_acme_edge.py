"""HTTPS at the edge, for real: `make https`'s native stack, nginx terminating TLS with a
certificate for DOMAIN that lego gets from Pebble by ACME and renews; a client sees
http://DOMAIN/ and https://DOMAIN/ on the default ports (see support/acme.py)."""

import os
import ssl
import subprocess
import time

import pytest

from stack.env import ROOT
from support.acme import CERT_TIMEOUT, DOMAIN, EMAIL, handshake, served_certificate
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
    assert f"acme: certificate for {DOMAIN} obtained" in acme_edge.log.read_text()
    # nginx started before the certificate existed, and reloaded itself once lego had it.
    watch = acme_edge.stack.log_path("tls-watch").read_text()
    assert f"the certificate at {acme_edge.stack.certificate} changed: nginx reloaded" in watch


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


def test_forged_client_headers_change_nothing(acme_edge):
    # nginx is the edge and trusts no one: every forwarded header a client sends is its own.
    response = https(acme_edge, "/api/", headers=FORGED)
    assert response.header("Location") == f"https://{DOMAIN}/api/result"
    assert response.header("X-Request-ID") not in (None, "forged-id")
    whoami = https(acme_edge, "/api/whoami", headers=FORGED).json()
    assert (whoami["scheme"], whoami["host"], whoami["port"], whoami["script_root"]) == ("https", DOMAIN, 443, "/api")
    assert whoami["remote_addr"] == "127.0.0.1"  # socat's, on loopback; never 203.0.113.66
    assert https(acme_edge, "/api/openapi.json", headers=FORGED).json()["servers"] == [{"url": f"https://{DOMAIN}/api"}]
    forged_redirect = http(acme_edge, "/about", headers=FORGED)
    assert (forged_redirect.status, forged_redirect.header("Location")) == (308, f"https://{DOMAIN}/about")


@pytest.mark.parametrize("path", ["/", "/api/result", "/api/no-such-route"])
def test_hsts_on_https(acme_edge, path):
    assert https(acme_edge, path).header("Strict-Transport-Security") == HSTS


def test_no_hsts_on_plain_http(acme_edge):
    # Not on the redirect, not even for a client that claims https.
    assert http(acme_edge, "/").header("Strict-Transport-Security") is None
    claimed = http(acme_edge, "/api/result", headers={"X-Forwarded-Proto": "https"})
    assert claimed.status == 308
    assert claimed.header("Strict-Transport-Security") is None


@pytest.mark.parametrize("path", ["/", "/api/result", "/api/missing"])
def test_the_server_header_names_no_version(acme_edge, path):
    # nginx without extra modules always sends Server; server_tokens off keeps its version out.
    assert https(acme_edge, path).header("Server") == "nginx"
    assert http(acme_edge, path).header("Server") == "nginx"


def test_plain_http_serves_acme_challenges_from_the_webroot(acme_edge):
    challenges = acme_edge.stack.acme_dir / "webroot" / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True, exist_ok=True)
    (challenges / "test-token").write_text("test-token.thumbprint")
    try:
        answer = http(acme_edge, "/.well-known/acme-challenge/test-token")
        assert (answer.status, answer.body) == (200, b"test-token.thumbprint")
        missing = http(acme_edge, "/.well-known/acme-challenge/no-such-token")
        assert missing.status == 404
    finally:
        (challenges / "test-token").unlink()


def test_a_renewal_is_served_without_a_restart(acme_edge):
    """acme/lego.sh's renewal loop with a threshold every certificate is under: lego renews, and
    nginx/tls-watch.sh reloads nginx, which then serves the new certificate."""
    before = served_certificate(acme_edge.address)
    stack = acme_edge.stack
    nginx_pid = stack.pids()["nginx"]
    env = {
        **stack._child_env(),
        "ACME_RENEW_DAYS": "100000",
        "ACME_RENEW_EVERY": "1",
    }
    log = stack.run_dir / "renewal.log"
    with open(log, "w") as out:
        renewal = subprocess.Popen(
            ["sh", str(ROOT / "acme" / "lego.sh")], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + CERT_TIMEOUT
        while served_certificate(acme_edge.address) == before:
            assert time.monotonic() < deadline, f"no renewed certificate served; see {log}"
            time.sleep(0.3)
    finally:
        renewal.terminate()
        renewal.wait(timeout=10)
    assert "Server responded with a certificate" in log.read_text()
    certificate, _ = handshake(acme_edge.address, acme_edge.tls_context())
    assert ("DNS", DOMAIN) in certificate["subjectAltName"]
    assert stack.pids()["nginx"] == nginx_pid  # reloaded, not restarted
    # Once for the first certificate, once (at least) for the renewal.
    assert stack.log_path("tls-watch").read_text().count("changed: nginx reloaded") >= 2


def test_before_the_first_certificate_https_refuses_and_http_redirects(built_frontend, tmp_path):
    """A CA that does not answer: nginx still starts, refuses every handshake (no certificate
    to show) and redirects http; lego keeps trying."""
    from stack import https as https_settings
    from stack.native import free_port
    from support.acme import AcmeStack, Pebble
    from support.stacks import stack_settings

    closed = free_port()
    ca = Pebble(f"https://127.0.0.1:{closed}/dir", tmp_path / "none.pem", tmp_path / "none.pem")
    values = stack_settings(
        DOMAIN=DOMAIN, ACME_EMAIL=EMAIL, ACME_CA=ca.directory, HTTPS_PORT=free_port(), HTTP_REDIRECT_PORT=free_port()
    )
    values.update(https_settings.check(values))
    stack = AcmeStack(values, f"tests/{os.getpid()}-acme-none", ca)
    try:
        stack.start()
        with pytest.raises(ssl.SSLError):
            served_certificate("127.0.0.1", stack.https_port)
        answer = request(stack.redirect_port, "/api/", host=DOMAIN)
        assert (answer.status, answer.header("Location")) == (308, f"https://{DOMAIN}/api/")
        deadline = time.monotonic() + 20
        while "no certificate yet" not in stack.log_path("acme").read_text():
            assert time.monotonic() < deadline, stack.log_path("acme").read_text()
            time.sleep(0.2)
    finally:
        stack.stop()
