"""Strict-Transport-Security is sent exactly when the public scheme is https: that is, when a
trusted proxy says so in X-Forwarded-Proto; never on plain http, never on a client's word."""

import pytest

from support.rawhttp import request

HSTS = "max-age=31536000"
TRUSTED, UNTRUSTED = "127.0.0.1", "127.0.0.2"


@pytest.fixture(scope="module")
def trusted_stack(start_stack):
    """A stack that believes forwarded headers from 127.0.0.1 only."""
    return start_stack(TRUSTED_PROXIES=TRUSTED)


@pytest.mark.parametrize(
    "source, proto, expected",
    [
        pytest.param(TRUSTED, "https", HSTS, id="trusted-proxy-says-https"),
        pytest.param(TRUSTED, "HTTPS", HSTS, id="scheme-in-upper-case"),
        pytest.param(TRUSTED, "http, https", HSTS, id="last-value-counts"),
        pytest.param(TRUSTED, None, None, id="plain-http"),
        pytest.param(TRUSTED, "http", None, id="trusted-proxy-says-http"),
        pytest.param(UNTRUSTED, "https", None, id="client-claims-https"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/api/result", "/api/missing", "/assets/missing.js"])
def test_hsts_follows_the_public_scheme(trusted_stack, source, proto, expected, path):
    headers = {"X-Forwarded-Proto": proto} if proto else {}
    response = request(trusted_stack.port, path, source=source, headers=headers)
    assert response.header("Strict-Transport-Security") == expected
