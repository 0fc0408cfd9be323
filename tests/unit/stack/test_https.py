"""What `make https` and `make https-local` run with once their settings pass (stack/https.py)."""

import pytest

from stack import https

GOOD = {"DOMAIN": "app.example.com", "ACME_EMAIL": "ops@example.com"}


def test_acme_mode_defaults_to_the_standard_ports_and_trusts_exactly_the_front():
    assert https.check(GOOD) == {
        "HTTPS_PORT": "443",
        "HTTP_REDIRECT_PORT": "80",
        "TRUSTED_PROXIES": https.PROXY_ADDRESS["docker"],
    }


@pytest.mark.parametrize("trusted", ["10.77.77.2", "10.0.0.0/8", "192.0.2.7, 10.77.77.0/29", "fd00::/8 10.77.77.2"])
def test_a_list_that_includes_the_front_is_kept(trusted):
    assert https.check({**GOOD, "TRUSTED_PROXIES": trusted})["TRUSTED_PROXIES"] == trusted


def test_an_ipv6_range_does_not_cover_the_fronts_ipv4_address():
    with pytest.raises(https.StackError, match="does not include"):
        https.check({**GOOD, "TRUSTED_PROXIES": "::/0"})


@pytest.mark.parametrize("domain", ["app.example.com", "example.org", "a-b.c-d.example", "xn--bcher-kva.example"])
def test_dns_names_are_accepted(domain):
    https.check_domain(domain)


def test_local_mode_needs_no_domain_or_email_and_uses_caddys_ca():
    assert https.check({"ACME_EMAIL": "ops@example.com"}, local=True) == {
        "DOMAIN": "localhost",
        "ACME_EMAIL": "",
        "HTTPS_PORT": "8443",
        "HTTP_REDIRECT_PORT": "8080",
        "TRUSTED_PROXIES": https.PROXY_ADDRESS["docker"],
    }


def test_set_ports_win_over_the_defaults():
    updates = https.check({**GOOD, "HTTPS_PORT": "9443", "HTTP_REDIRECT_PORT": "9080"})
    assert (updates["HTTPS_PORT"], updates["HTTP_REDIRECT_PORT"]) == ("9443", "9080")


def test_the_front_can_be_another_address():
    assert https.check(GOOD, front="127.0.0.1")["TRUSTED_PROXIES"] == "127.0.0.1"
    with pytest.raises(https.StackError, match="127.0.0.1"):
        https.check({**GOOD, "TRUSTED_PROXIES": "10.77.77.2"}, front="127.0.0.1")


@pytest.mark.parametrize("bind, refused", [("", False), ("127.0.0.1", False), ("0.0.0.0", False), ("::1", True)])
def test_natively_nginx_must_listen_where_caddy_connects(bind, refused):
    from stack.errors import StackError
    from stack.tls_proxy import HttpsStack

    settings = {**GOOD, **https.check(GOOD, front=https.PROXY_ADDRESS["native"]), "HTTP_BIND": bind}
    if refused:
        with pytest.raises(StackError, match=r"^HTTP_BIND=::1: natively Caddy reaches nginx at 127\.0\.0\.1"):
            HttpsStack(settings)
    else:
        assert HttpsStack(settings).connect_host == "127.0.0.1"
