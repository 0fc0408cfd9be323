"""The settings derivation that both Docker and the native run use (nginx/render.sh sources
the same script the image does): good values render, bad ones stop with their name."""

import os
import subprocess

import pytest

from stack.env import ROOT

RENDER = ROOT / "nginx" / "render.sh"


def render(tmp_path, **settings):
    env = {"PATH": os.environ["PATH"], "NGINX_RUN_DIR": str(tmp_path), "API_BIND": "127.0.0.1:9"}
    env.update(settings)
    return subprocess.run(["sh", str(RENDER)], env=env, capture_output=True, text=True)


def site(tmp_path):
    return (tmp_path / "conf.d" / "default.conf").read_text()


@pytest.mark.parametrize(
    "value, rendered",
    [
        ("10.0.0.0/8", ["set_real_ip_from 10.0.0.0/8;", "10.0.0.0/8 1;"]),
        ("192.0.2.7, 198.51.100.0/24", ["set_real_ip_from 192.0.2.7;", "set_real_ip_from 198.51.100.0/24;"]),
        ("::1 fd00::/8", ["set_real_ip_from ::1;", "fd00::/8 1;"]),
        ("2001:db8::1/128,127.0.0.1", ["set_real_ip_from 2001:db8::1/128;", "127.0.0.1 1;"]),
    ],
)
def test_trusted_proxies_render(tmp_path, value, rendered):
    result = render(tmp_path, TRUSTED_PROXIES=value)
    assert result.returncode == 0, result.stderr
    for line in rendered:
        assert line in site(tmp_path)


def test_no_trusted_proxies_trusts_nobody(tmp_path):
    assert render(tmp_path).returncode == 0
    assert "set_real_ip_from" not in site(tmp_path)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("TRUSTED_PROXIES", "localhost"),
        ("TRUSTED_PROXIES", "256.0.0.1"),
        ("TRUSTED_PROXIES", "10.0.0"),
        ("TRUSTED_PROXIES", "10.0.0.0/"),
        ("TRUSTED_PROXIES", "10.0.0.0/x"),
        ("TRUSTED_PROXIES", "fd00::/129"),
        ("TRUSTED_PROXIES", "1::2::3"),
        ("TRUSTED_PROXIES", "10.0.0.0/8;evil"),
        ("ALLOWED_HOSTS", "http://example.com"),
        ("ALLOWED_HOSTS", "example.com:8000"),
        ("ALLOWED_HOSTS", "[::1]"),
        ("ALLOWED_HOSTS", "good.example bad_host.example"),
        ("API_PREFIX", "/api/"),
        ("API_PREFIX", "/a;pi"),
        ("MAX_BODY_SIZE", "1mb"),
        ("API_TIMEOUT", "30s"),
    ],
)
def test_malformed_setting_stops_rendering_with_its_name(tmp_path, setting, value):
    result = render(tmp_path, **{setting: value})
    assert result.returncode != 0
    assert setting in result.stderr
    # The offending entry is named, so it can be found in a long list.
    assert f"'{value.split()[-1]}'" in result.stderr


def test_allowed_hosts_render_as_a_hostnames_map(tmp_path):
    assert render(tmp_path, ALLOWED_HOSTS="example.com, .example.org").returncode == 0
    text = site(tmp_path)
    assert "default 0;" in text.split("map $public_hostname $host_allowed", 1)[1].split("}", 1)[0]
    assert "example.com 1; .example.org 1;" in text
