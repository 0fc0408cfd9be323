"""What `make https` and `make https-local` run with once their settings pass (stack/https.py)."""

import pytest

from stack import https

GOOD = {"DOMAIN": "app.example.com", "ACME_EMAIL": "ops@example.com"}


def test_acme_mode_defaults_to_the_standard_ports():
    assert https.check(GOOD) == {"HTTPS_PORT": "443", "HTTP_REDIRECT_PORT": "80"}


@pytest.mark.parametrize("trusted", ["127.0.0.1", "10.0.0.0/8", "::/0", " 192.0.2.7 "])
def test_nginx_at_the_edge_trusts_no_proxy(trusted):
    with pytest.raises(https.StackError, match=r"^TRUSTED_PROXIES=.*nginx terminates TLS itself and is the edge"):
        https.check({**GOOD, "TRUSTED_PROXIES": trusted})


@pytest.mark.parametrize("domain", ["app.example.com", "example.org", "a-b.c-d.example", "xn--bcher-kva.example"])
def test_dns_names_are_accepted(domain):
    https.check_domain(domain)


def test_local_mode_needs_no_domain_or_email_and_uses_the_local_ca():
    assert https.check({"ACME_EMAIL": "ops@example.com"}, local=True) == {
        "DOMAIN": "localhost",
        "ACME_EMAIL": "",
        "HTTPS_PORT": "8443",
        "HTTP_REDIRECT_PORT": "8080",
    }


def test_set_ports_win_over_the_defaults():
    updates = https.check({**GOOD, "HTTPS_PORT": "9443", "HTTP_REDIRECT_PORT": "9080"})
    assert (updates["HTTPS_PORT"], updates["HTTP_REDIRECT_PORT"]) == ("9443", "9080")


def test_natively_nginx_listens_on_the_https_and_redirect_ports():
    from stack.tls_edge import HttpsStack

    settings = {**GOOD, **https.check({**GOOD, "HTTPS_PORT": "9443", "HTTP_REDIRECT_PORT": "9080"})}
    stack = HttpsStack(settings)
    env = stack._child_env()
    assert (env["NGINX_TLS_LISTEN_PORT"], env["NGINX_REDIRECT_LISTEN_PORT"]) == ("9443", "9080")
    assert env["TLS_CERT"].endswith("/acme/certificates/app.example.com.crt")
    assert env["TLS_KEY"].endswith("/acme/certificates/app.example.com.key")
    assert [port for port, _ in stack.public_ports()] == [9443, 9080]
    assert stack.url == "https://app.example.com:9443"
