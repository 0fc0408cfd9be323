"""The one nginx template in both modes: SPA_DEV_SERVER switches the SPA's locations to Vite and
relaxes style-src, and changes nothing else; empty, the production config is what it was."""

import os
import re
import subprocess

import pytest

from stack.env import ROOT
from stack.native import NativeStack

RENDER = ROOT / "nginx" / "render.sh"


def render(tmp_path, **settings):
    env = {"PATH": os.environ["PATH"], "NGINX_RUN_DIR": str(tmp_path), "API_BIND": "127.0.0.1:9"}
    env.update(settings)
    result = subprocess.run(["sh", str(RENDER)], env=env, capture_output=True, text=True)
    return result, (tmp_path / "conf.d" / "default.conf").read_text() if result.returncode == 0 else ""


def location(config, path):
    return re.search(rf"\n    location {re.escape(path)} {{\n(.*?)\n    }}", config, re.S).group(1).split("\n")


def body(config, path):
    """A location's directives, stripped, without comments and blank lines."""
    return [line.strip() for line in location(config, path) if line.strip() and not line.lstrip().startswith("#")]


FILES = 'location ~ "^/\\.well-known/|/[^/]*\\.[^/]*$" {'


def directives(config):
    """The config without comments and blank lines."""
    return [line for line in config.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_production_serves_the_build(tmp_path):
    result, config = render(tmp_path)
    assert result.returncode == 0, result.stderr
    files = ["try_files $uri =404;", "gzip_static on;"]
    assert body(config, "/") == ["try_files $uri /index.html;", "gzip_vary off;", FILES, *files, "}"]
    assert body(config, "/assets/") == [*files, "gzip_vary off;"]
    assert "style-src 'self';" in config
    assert "unsafe-inline" not in config and "$http_upgrade" not in config


def test_dev_proxies_the_spa_to_vite_with_the_websocket_upgrade(tmp_path):
    result, config = render(tmp_path, SPA_DEV_SERVER="127.0.0.1:5173")
    assert result.returncode == 0, result.stderr
    proxy = [
        "proxy_pass http://127.0.0.1:5173;",
        "proxy_http_version 1.1;",
        "proxy_set_header Host $public_host_port;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $http_connection;",
        "proxy_read_timeout 1d;",
    ]
    assert body(config, "/") == [*proxy, "gzip_vary off;", FILES, *proxy, "}"]
    assert body(config, "/assets/") == [*proxy, "gzip_vary off;"]
    for path in ("/", "/assets/"):
        # An add_header here would drop the server's security headers (all-or-nothing).
        assert not any(line.startswith("add_header") for line in body(config, path))


def test_dev_changes_only_the_spa_locations_and_style_src(tmp_path):
    _, production = render(tmp_path / "prod")
    _, dev = render(tmp_path / "dev", SPA_DEV_SERVER="web:5173")
    spa = re.compile(r"\n    location (/|/assets/) \{\n.*?\n    \}", re.S)
    production, dev = spa.sub("", production), spa.sub("", dev)
    assert directives(dev) == directives(production.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';"))


@pytest.mark.parametrize("value", ["5173", "vite:", ":5173", "vite:51x3", "a b:1", "vite:5173;evil", "vite/x:1"])
def test_a_malformed_dev_server_stops_rendering_with_its_name(tmp_path, value):
    result, _ = render(tmp_path, SPA_DEV_SERVER=value)
    assert result.returncode != 0
    assert f"SPA_DEV_SERVER='{value}' is not host:port" in result.stderr


def test_make_up_ignores_a_dev_server_left_in_the_shell(monkeypatch):
    monkeypatch.setenv("SPA_DEV_SERVER", "127.0.0.1:5173")
    assert NativeStack({"HTTP_PORT": "8000"})._child_env()["SPA_DEV_SERVER"] == ""
