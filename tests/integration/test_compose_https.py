"""The HTTPS overlay and the Caddyfile, checked statically: the trust between Caddy and nginx
is exact, nginx is no longer published, and Caddy removes every forwarded header nginx would
believe and Caddy does not set itself. Caddy (Debian's) adapts the Caddyfile in each mode."""

import ipaddress
import json
import os
import re
import subprocess

import pytest
import yaml

from stack import https
from stack.env import ROOT
from support.image import TEMPLATE

CADDYFILE = ROOT / "caddy" / "Caddyfile"
# What Caddy's reverse_proxy writes itself, replacing a client's value (Host passes unchanged).
# Caddy sets these itself (X-Request-ID: its own id, so one id runs through every hop).
CADDY_SETS = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id"}


class _ComposeLoader(yaml.SafeLoader):
    """Compose's YAML: `!reset` clears what the base file set."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: "!reset")
OVERLAY = yaml.load((ROOT / "docker-compose.https.yml").read_text(), Loader=_ComposeLoader)
CADDY = OVERLAY["services"]["caddy"]


def test_caddy_image_is_pinned():
    assert re.fullmatch(r"caddy:\d+\.\d+\.\d+", CADDY["image"])


def test_nginx_is_no_longer_published():
    assert OVERLAY["services"]["nginx"]["ports"] == "!reset"


def test_caddys_pinned_address_is_what_nginx_trusts():
    subnet = ipaddress.ip_network(OVERLAY["networks"]["edge"]["ipam"]["config"][0]["subnet"])
    address = CADDY["networks"]["edge"]["ipv4_address"]
    assert address == https.PROXY_ADDRESS["docker"]
    assert ipaddress.ip_address(address) in subnet
    assert OVERLAY["services"]["nginx"]["environment"]["TRUSTED_PROXIES"] == f"${{TRUSTED_PROXIES:-{address}}}"
    assert list(CADDY["networks"]) == ["edge"], "Caddy reaches nginx from its pinned address only"
    # nginx's address on edge is pinned too: given out dynamically it could take Caddy's first.
    nginx_address = OVERLAY["services"]["nginx"]["networks"]["edge"]["ipv4_address"]
    assert nginx_address != address and ipaddress.ip_address(nginx_address) in subnet


def test_caddy_runs_the_shared_caddyfile():
    assert "./caddy:/etc/caddy:ro" in CADDY["volumes"]
    assert CADDY["command"] == ["sh", "/etc/caddy/run.sh"]
    assert CADDY["environment"]["CADDY_UPSTREAM"] == "nginx:80"
    assert {"80", "443"} <= {port.split(":")[-1] for port in CADDY["ports"]}
    assert os.access(ROOT / "caddy" / "run.sh", os.X_OK)


def headers_nginx_believes():
    """Every request header nginx takes from a trusted proxy, read from its template."""
    text = TEMPLATE.read_text()
    believed = {name.replace("_", "-") for name in re.findall(r'"\$from_trusted_proxy:\$http_([a-z_]+)"', text)}
    believed |= {name.lower() for name in re.findall(r"^real_ip_header\s+([A-Za-z-]+);", text, re.M)}
    return believed


def test_caddy_deletes_every_believed_header_it_does_not_set():
    believed = headers_nginx_believes()
    assert {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-request-id"} <= believed
    deleted = {name.lower() for name in re.findall(r"^\s*header_up\s+-([A-Za-z-]+)\s*$", CADDYFILE.read_text(), re.M)}
    assert deleted == believed - CADDY_SETS


def adapt(**environ):
    """The Caddyfile as Caddy reads it when caddy/run.sh starts it with these settings."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **{k: v for k, v in environ.items() if v}}
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_acme_mode_asks_the_ca_for_domain_and_proxies_to_nginx():
    config = adapt(DOMAIN="app.example.com", ACME_EMAIL="ops@example.com")
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": ["app.example.com"]}]
    assert '"dial":"nginx:80"' in json.dumps(server, separators=(",", ":"))
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    acme = policy["issuers"][0]
    assert (acme["module"], acme["email"], acme["ca"]) == (
        "acme",
        "ops@example.com",
        "https://acme-v02.api.letsencrypt.org/directory",
    )


def test_acme_ca_and_ports_come_from_the_environment():
    config = adapt(
        DOMAIN="app.example.com",
        ACME_EMAIL="ops@example.com",
        ACME_CA="https://acme-staging-v02.api.letsencrypt.org/directory",
        CADDY_HTTP_PORT="8080",
        CADDY_HTTPS_PORT="8443",
        CADDY_UPSTREAM="127.0.0.1:8000",
    )
    http = config["apps"]["http"]
    assert (http["http_port"], http["https_port"]) == (8080, 8443)
    assert config["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]["ca"].startswith("https://acme-staging")
    assert '"dial":"127.0.0.1:8000"' in json.dumps(http, separators=(",", ":"))


def test_without_an_email_caddy_uses_its_own_ca():
    config = adapt(DOMAIN="localhost")
    assert config["apps"]["tls"]["automation"]["policies"][0]["issuers"] == [{"module": "internal"}]


@pytest.mark.parametrize("empty", ["ACME_EMAIL", "ACME_CA", "CADDY_UPSTREAM"])
def test_run_sh_unsets_empty_settings(tmp_path, empty):
    # compose passes an empty setting as set; Caddy would then not use its default.
    fake = tmp_path / "caddy"
    fake.write_text('#!/bin/sh\nenv | grep -E "^(DOMAIN|ACME_|CADDY_)" | sort\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{tmp_path}:/usr/bin:/bin",
        "DOMAIN": "app.example.com",
        "ACME_EMAIL": "ops@example.com",
        "ACME_CA": "https://ca.example/dir",
        "CADDY_UPSTREAM": "nginx:80",
        empty: "",
    }
    result = subprocess.run(["sh", str(ROOT / "caddy" / "run.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    names = [line.split("=", 1)[0] for line in result.stdout.splitlines()]
    assert empty not in names and "DOMAIN" in names


@pytest.mark.parametrize(("given", "expected"), [(None, "400"), ("100", "100")])
def test_run_sh_gives_caddy_a_lazier_garbage_collector_unless_gogc_is_set(tmp_path, given, expected):
    fake = tmp_path / "caddy"
    fake.write_text('#!/bin/sh\necho "GOGC=$GOGC"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "DOMAIN": "app.example.com", **({"GOGC": given} if given else {})}
    result = subprocess.run(["sh", str(ROOT / "caddy" / "run.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"GOGC={expected}"


def test_run_sh_refuses_a_missing_domain():
    result = subprocess.run(
        ["sh", str(ROOT / "caddy" / "run.sh")],
        env={"PATH": "/usr/bin:/bin", "DOMAIN": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "caddy/run.sh: DOMAIN is not set: set it to the public name (e.g. DOMAIN=app.example.com)."
    )


def test_caddy_runs_as_a_user_on_a_read_only_root_with_only_net_bind_service():
    assert CADDY["user"] == "10080:10080"
    assert CADDY["read_only"] is True
    assert (CADDY["cap_drop"], CADDY["cap_add"]) == (["ALL"], ["NET_BIND_SERVICE"])
    assert CADDY["security_opt"] == ["no-new-privileges:true"]
    # A user binds 80 and 443 only where unprivileged ports start at 0 (Docker's default).
    assert CADDY["sysctls"] == {"net.ipv4.ip_unprivileged_port_start": 0}


def test_caddys_volumes_are_given_to_its_user_before_it_starts():
    init = OVERLAY["services"]["caddy-volumes"]
    assert init["image"] == CADDY["image"]
    assert init["command"] == ["chown", "-R", CADDY["user"], "/data", "/config"]
    assert set(init["volumes"]) == {v for v in CADDY["volumes"] if v.split(":")[1] in ("/data", "/config")}
    assert (init["cap_drop"], sorted(init["cap_add"])) == (["ALL"], ["CHOWN", "DAC_READ_SEARCH"])
    assert init["network_mode"] == "none" and init["restart"] == "no"
    assert CADDY["depends_on"]["caddy-volumes"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", ["caddy", "caddy-volumes"])
def test_caddys_services_have_limits(name):
    service = OVERLAY["services"][name]
    assert {"mem_limit", "cpu_quota", "cpu_period", "pids_limit"} <= set(service)


def test_the_public_overlay_limits_each_client_on_the_api_unless_env_says_otherwise():
    env = OVERLAY["services"]["nginx"]["environment"]
    for name in ("API_RATE_LIMIT", "API_RATE_BURST", "API_CONN_LIMIT"):
        default = re.fullmatch(rf"\$\{{{name}:-(\d+)\}}", env[name])
        assert default and int(default[1]) > 0, name
