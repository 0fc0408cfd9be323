"""What the native stack's children get from the settings (stack/native.py), without starting them."""

import os
import re
import subprocess

import pytest

from stack import settings as stack_settings
from stack.env import ROOT
from stack.native import NativeStack


@pytest.mark.parametrize("value", ["", "3"])
def test_gunicorn_gets_web_concurrency_only_when_set(value, tmp_path):
    # TCP, so the check does not depend on how long the checkout's path is (a unix socket's is limited).
    settings = stack_settings.validate({"WEB_CONCURRENCY": value, "HTTP_PORT": "8000", "API_BIND": "127.0.0.1:8001"})
    env = NativeStack(settings, name=f"unit-{tmp_path.name}")._child_env()
    assert env.get("WEB_CONCURRENCY", "absent") == (value or "absent")


def test_no_child_gets_an_empty_setting(tmp_path, monkeypatch):
    """.env.example as shipped (every setting empty): the children get none of them, as in Docker."""
    for name in stack_settings.SETTING_NAMES:
        monkeypatch.setenv(name, "")
    names = stack_settings.SETTING_NAMES
    settings = stack_settings.validate({**{name: "" for name in names}, "API_BIND": "127.0.0.1:8001"})
    child = NativeStack(settings, name=f"unit-{tmp_path.name}")._child_env()
    assert [name for name in stack_settings.SETTING_NAMES if child.get(name) == ""] == []
    defaults = stack_settings.DEFAULTS
    assert [child[name] for name in ("HTTP_PORT", "API_PREFIX", "GUNICORN_THREADS")] == [
        defaults["HTTP_PORT"],
        defaults["API_PREFIX"],
        defaults["GUNICORN_THREADS"],
    ]


def test_the_ready_lines_in_the_docs_are_what_the_runner_prints(monkeypatch):
    """docs/native.md's example (the defaults, a 2-core machine, a checkout at /srv/app)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    stack = NativeStack(stack_settings.validate({}), name="native")
    printed = [f"stack: {stack.ready_line(name)}" for name in ("gunicorn", "nginx")]
    docs = (ROOT / "docs" / "native.md").read_text().splitlines()
    shown = [
        line.replace("/srv/app", str(ROOT))
        for line in docs
        if line.startswith(("stack: gunicorn ready", "stack: nginx ready"))
    ]
    assert shown == printed


def test_help_lists_every_command_the_makefile_calls(capsys):
    from stack.__main__ import main

    called = set(re.findall(r"\$\(PY\) -m stack ([a-z]+)", (ROOT / "Makefile").read_text()))
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = set(re.search(r"\{([a-z,]+)\}", capsys.readouterr().out).group(1).split(","))
    assert called and called <= listed


@pytest.mark.parametrize(
    "bind, listen, url",
    [
        ("", "listen 8000;", "http://localhost:8000"),
        ("127.0.0.1", "listen 127.0.0.1:8000;", "http://localhost:8000"),
        ("::1", "listen [::1]:8000;", "http://localhost:8000"),
        ("[::1]", "listen [::1]:8000;", "http://localhost:8000"),
        ("192.0.2.7", "listen 192.0.2.7:8000;", "http://192.0.2.7:8000"),
    ],
)
def test_nginx_listens_where_http_bind_says(bind, listen, url, tmp_path):
    """HTTP_BIND reaches nginx's listen through the one derivation script (render.sh sources it)."""
    settings = stack_settings.validate({"HTTP_BIND": bind, "HTTP_PORT": "8000", "API_BIND": "127.0.0.1:8001"})
    stack = NativeStack(settings, name=f"unit-{tmp_path.name}")
    env = stack._child_env()
    derive = ROOT / "nginx" / "docker-entrypoint.d" / "15-derive-settings.envsh"
    derived = subprocess.run(
        ["sh", "-c", f'. "{derive}" && printf %s "$NGINX_LISTEN"'], env=env, capture_output=True, text=True, check=True
    ).stdout
    # Every interface: IPv6 too where the kernel has it.
    assert derived.split(" listen [::]:")[0] == listen
    assert ("listen [::]:" in derived) == (not bind and os.path.exists("/proc/net/if_inet6"))
    assert stack.url == url


def test_docker_mode_brackets_an_ipv6_http_bind_for_compose():
    from stack.docker import compose_env

    assert compose_env({"HTTP_BIND": "::1"})["HTTP_BIND"] == "[::1]"
    assert compose_env({"HTTP_BIND": "[::1]"})["HTTP_BIND"] == "[::1]"
    assert compose_env({"HTTP_BIND": "127.0.0.1"})["HTTP_BIND"] == "127.0.0.1"


def test_monitoring_adds_prometheus_and_the_exporter_on_the_internal_listeners(tmp_path):
    settings = stack_settings.validate({"MONITORING": "1", "API_BIND": "127.0.0.1:8001"})
    stack = NativeStack(settings, name=f"unit-{tmp_path.name}")
    stack.run_dir = tmp_path
    env = stack._child_env()
    assert env["METRICS_BIND"] == "127.0.0.1:9180" and env["STUB_STATUS_BIND"] == "127.0.0.1:8081"
    programs = {p.name: p for p in stack.programs()}
    assert list(programs) == ["gunicorn", "nginx", "prometheus", "nginx-exporter"]
    assert "--web.listen-address=127.0.0.1:9090" in programs["prometheus"].command
    assert "--nginx.scrape-uri=http://127.0.0.1:8081/stub_status" in programs["nginx-exporter"].command
    # Both stop before nginx and gunicorn (supervisord stops the highest priority first).
    assert min(programs[n].priority for n in ("prometheus", "nginx-exporter")) > programs["nginx"].priority


def test_without_monitoring_no_metrics_listener_is_set(tmp_path):
    stack = NativeStack(stack_settings.validate({"API_BIND": "127.0.0.1:8001"}), name=f"unit-{tmp_path.name}")
    env = stack._child_env()
    assert "METRICS_BIND" not in env and "STUB_STATUS_BIND" not in env
    assert [p.name for p in stack.programs()] == ["gunicorn", "nginx"]


def test_docker_mode_adds_the_monitoring_profile():
    from stack.docker import compose_env

    assert compose_env({"MONITORING": "1"})["COMPOSE_PROFILES"].split(",")[-1] == "monitoring"
    assert "monitoring" not in compose_env({"MONITORING": ""}).get("COMPOSE_PROFILES", "")
    # make https's acme profile beside it, once.
    both = compose_env({"MONITORING": "1"}, profiles=("acme",))["COMPOSE_PROFILES"].split(",")
    assert both[-2:] == ["acme", "monitoring"] and both.count("acme") == 1


def test_make_dev_runs_monitoring_too(tmp_path):
    from stack.dev import DevStack

    stack = DevStack(stack_settings.validate({"MONITORING": "1"}), name=f"unit-{tmp_path.name}")
    assert [name for name, _, _ in stack.services()] == ["gunicorn", "vite", "nginx", "nginx-exporter", "prometheus"]


def test_monitoring_refuses_a_taken_port_naming_its_setting(tmp_path):
    import socket

    from stack.errors import StackError
    from stack.native import free_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = stack_settings.validate(
            {"MONITORING": "1", "PROMETHEUS_PORT": str(port), "HTTP_PORT": str(free_port())}
        )
        with pytest.raises(StackError) as refused:
            NativeStack(settings, name=f"unit-{tmp_path.name}").check_ports()
    assert f"port {port} is already in use" in str(refused.value)
    assert f"PROMETHEUS_PORT={port + 1} MONITORING=1 make up" in str(refused.value)
