"""`make https` and `make https-local` refuse bad settings with one line naming the setting,
and a non-zero exit, before anything starts (stack/https.py). Natively (STACK=native); the
checks are the same in Docker (tests/unit/stack/test_https.py)."""

import os
import subprocess

import pytest

from stack.env import ROOT
from stack.settings import SETTING_NAMES

GOOD = {"DOMAIN": "app.example.com", "ACME_EMAIL": "ops@example.com"}


def run_make(target, **settings):
    """`make -s <target>` with exactly these settings (the others empty, so .env cannot add any)."""
    # As a user runs it: not as a sub-make of `make test`.
    env = {
        k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    env.update({name: "" for name in SETTING_NAMES}, STACK="native")
    env.update(settings)
    return subprocess.run(
        ["make", "-s", "--no-print-directory", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "settings, message",
    [
        pytest.param({"ACME_EMAIL": "ops@example.com"}, "DOMAIN is not set", id="domain-missing"),
        pytest.param({"DOMAIN": "localhost"}, "DOMAIN='localhost' is not a DNS name", id="domain-localhost"),
        pytest.param(
            {"DOMAIN": "https://app.example.com"},
            "DOMAIN='https://app.example.com' is not a host name",
            id="domain-url",
        ),
        pytest.param(
            {"DOMAIN": "app.example.com:443"}, "DOMAIN='app.example.com:443' is not a host name", id="domain-port"
        ),
        pytest.param(
            {"DOMAIN": "App.Example.com"}, "DOMAIN='App.Example.com' is not a host name", id="domain-upper-case"
        ),
        pytest.param({"DOMAIN": "192.0.2.7"}, "DOMAIN='192.0.2.7' is an IP address", id="domain-ip"),
        pytest.param(
            {"DOMAIN": "-app.example.com"}, "DOMAIN='-app.example.com' is not a DNS name", id="domain-leading-dash"
        ),
        pytest.param(
            {"DOMAIN": "app_1.example.com"}, "DOMAIN='app_1.example.com' is not a DNS name", id="domain-underscore"
        ),
        pytest.param({"DOMAIN": "*.example.com"}, "DOMAIN='*.example.com' is not a DNS name", id="domain-wildcard"),
        pytest.param({"DOMAIN": "app.example.com"}, "ACME_EMAIL is not set", id="email-missing"),
        pytest.param({**GOOD, "ACME_EMAIL": "ops"}, "ACME_EMAIL='ops' is not an email address", id="email-no-at"),
        pytest.param(
            {**GOOD, "ACME_EMAIL": "ops@localhost"},
            "ACME_EMAIL='ops@localhost' is not an email address",
            id="email-no-dot",
        ),
        pytest.param(
            {**GOOD, "ACME_EMAIL": "o ps@example.com"},
            "ACME_EMAIL='o ps@example.com' is not an email address",
            id="email-space",
        ),
        pytest.param({**GOOD, "ACME_EMAIL": "a@example.com,b@example.com"}, "is not an email address", id="email-list"),
        pytest.param(
            {**GOOD, "ACME_CA": "http://ca.example/dir"},
            "ACME_CA='http://ca.example/dir' is not an https URL",
            id="ca-http",
        ),
        pytest.param(
            {**GOOD, "TRUSTED_PROXIES": "127.0.0.1"},
            "TRUSTED_PROXIES='127.0.0.1': with make https nginx terminates TLS itself and is the edge",
            id="trust-a-front",
        ),
        pytest.param({**GOOD, "HTTPS_PORT": "https"}, "HTTPS_PORT='https' is not a TCP port", id="port-not-a-number"),
        pytest.param({**GOOD, "HTTPS_PORT": "80"}, "HTTPS_PORT and HTTP_REDIRECT_PORT are both 80", id="ports-clash"),
    ],
)
def test_make_https_refuses(settings, message):
    result = run_make("https", **settings)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith("stack: error: ") and message in lines[0], result.stderr
    assert all(line.startswith("make: ***") for line in lines[1:]), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == "", "something was started"


@pytest.mark.parametrize(
    "settings, message",
    [
        pytest.param(
            {"TRUSTED_PROXIES": "::1, 192.0.2.0/24"},
            "with make https nginx terminates TLS itself and is the edge, so nothing in front of it is trusted",
            id="trust-a-front",
        ),
        pytest.param({"HTTPS_PORT": "99999"}, "HTTPS_PORT='99999' is not a TCP port", id="port-out-of-range"),
        pytest.param(
            {"HTTP_REDIRECT_PORT": "8443"}, "HTTPS_PORT and HTTP_REDIRECT_PORT are both 8443", id="ports-clash"
        ),
    ],
)
def test_make_https_local_refuses(settings, message):
    result = run_make("https-local", **settings)
    assert result.returncode != 0
    assert result.stderr.startswith("stack: error: ") and message in result.stderr.splitlines()[0], result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
