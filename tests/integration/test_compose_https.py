"""The HTTPS overlay, checked statically: nginx is the edge (published on the redirect and https
ports, trusting no proxy), lego is the official image running acme/lego.sh as nginx's user on a
read-only root, and the certificate reaches nginx through one volume, read-only."""

import re

import pytest
import yaml

from stack.env import ROOT


class _ComposeLoader(yaml.SafeLoader):
    """Compose's YAML: `!reset` clears what the base file set, `!override` replaces it."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: "!reset")
_ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))
OVERLAY = yaml.load((ROOT / "docker-compose.https.yml").read_text(), Loader=_ComposeLoader)
SERVICES = OVERLAY["services"]
ACME, NGINX = SERVICES["acme"], SERVICES["nginx"]


def test_the_acme_client_is_the_official_lego_image_pinned():
    assert re.fullmatch(r"goacme/lego:v\d+\.\d+\.\d+", ACME["image"])
    assert SERVICES["acme-volume"]["image"] == ACME["image"]


def test_the_acme_client_runs_only_with_the_acme_profile():
    # make https turns it on; make https-local (the local CA's files) leaves it off.
    assert ACME["profiles"] == SERVICES["acme-volume"]["profiles"] == ["acme"]
    assert "profiles" not in NGINX


def test_nginx_is_published_on_the_redirect_and_https_ports():
    assert NGINX["ports"] == ["${HTTP_REDIRECT_PORT:-80}:80", "${HTTPS_PORT:-443}:443"]
    assert "acme" not in {port for service in ("acme", "acme-volume") for port in SERVICES[service].get("ports", [])}


def test_nginx_at_the_edge_trusts_no_proxy_and_serves_the_acme_certificate():
    env = NGINX["environment"]
    assert env["TRUSTED_PROXIES"] == ""
    assert env["TLS_CERT"] == "/acme/certificates/${DOMAIN:-localhost}.crt"
    assert env["TLS_KEY"] == "/acme/certificates/${DOMAIN:-localhost}.key"
    assert env["ACME_WEBROOT"] == ACME["environment"]["ACME_WEBROOT"] == "/acme/webroot"
    assert NGINX["volumes"] == ["${TLS_FILES:-acme}:/acme:ro"]
    assert "acme:/acme" in ACME["volumes"]


def test_lego_runs_the_shared_script_as_nginxs_user():
    assert ACME["entrypoint"] == ["sh", "/etc/acme/lego.sh"]
    assert "./acme:/etc/acme:ro" in ACME["volumes"]
    assert ACME["user"] == "101:101"  # nginx's (nginx/Dockerfile): the key lego writes is nginx's to read
    assert ACME["environment"]["ACME_PATH"] == "/acme"
    assert ACME["depends_on"]["nginx"] == {"condition": "service_healthy"}


def test_lego_is_hardened():
    assert ACME["read_only"] is True
    assert ACME["cap_drop"] == ["ALL"] and "cap_add" not in ACME
    assert ACME["security_opt"] == ["no-new-privileges:true"]


def test_the_volume_is_given_to_nginxs_user_before_lego_starts():
    init = SERVICES["acme-volume"]
    assert init["entrypoint"] == ["chown", "-R", ACME["user"], "/acme"]
    assert init["volumes"] == ["acme:/acme"]
    assert (init["cap_drop"], init["cap_add"]) == (["ALL"], ["CHOWN"])
    assert init["network_mode"] == "none" and init["restart"] == "no"
    assert ACME["depends_on"]["acme-volume"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", ["acme", "acme-volume"])
def test_the_acme_services_have_limits(name):
    assert {"mem_limit", "cpu_quota", "cpu_period", "pids_limit"} <= set(SERVICES[name])


def test_the_public_overlay_limits_each_client_on_the_api_unless_env_says_otherwise():
    env = NGINX["environment"]
    for name in ("API_RATE_LIMIT", "API_RATE_BURST", "API_CONN_LIMIT"):
        default = re.fullmatch(rf"\$\{{{name}:-(\d+)\}}", env[name])
        assert default and int(default[1]) > 0, name


def test_the_nginx_image_carries_the_tls_derivation_and_the_watcher():
    dockerfile = (ROOT / "nginx" / "Dockerfile").read_text()
    for source in ("17-derive-tls.envsh", "40-tls-watch.sh", "nginx/tls-watch.sh /usr/local/bin/tls-watch"):
        assert source in dockerfile, source
