"""Prometheus scrapes the stack for real (MONITORING=1, the native run): what the tests send comes
back through its query API, a killed gunicorn worker shows as a restart, gunicorn stopped shows
as the API down while nginx counts the 502s, and no metrics answer on the public side.

One stack with Prometheus (scraping every second, loopback only) and the nginx exporter, shared
by the module; traffic is bounded (a few hundred requests to loopback) and every wait is a poll
with a deadline.
"""

import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from stack import monitoring
from stack.env import ROOT
from stack.native import RUN_ROOT, NativeStack, free_port
from support.processes import descendants, port_forwarder
from support.rawhttp import request
from support.stacks import stack_settings
from support.tls_proxies import PUBLIC_HOST, caddy

PUBLIC_PATHS = ("/metrics", "/stub_status", "/nginx_status", "/api/metrics", "/metrics/")
RULES = {
    rule["alert"]: rule["expr"]
    for rule in yaml.safe_load((ROOT / "monitoring/rules.yml").read_text())["groups"][0]["rules"]
}


@pytest.fixture(scope="module")
def monitored(built_frontend):
    """A native stack with MONITORING=1 on free loopback ports, Prometheus scraping every second."""
    settings = stack_settings(
        MONITORING="1",
        METRICS_BIND=f"127.0.0.1:{free_port()}",
        STUB_STATUS_BIND=f"127.0.0.1:{free_port()}",
        PROMETHEUS_PORT=free_port(),
        NGINX_EXPORTER_PORT=free_port(),
    )
    name = f"tests/{os.getpid()}-monitoring"
    stack = NativeStack(settings, name=name, quiet=True, build=False, scrape_interval="1s")
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(RUN_ROOT / name, ignore_errors=True)


def query(stack, promql):
    """{tuple of label values: value} of an instant query through Prometheus's HTTP API."""
    return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in monitoring.query(stack.settings, promql)}


def value(stack, promql):
    """The one value of a query, or None while it has no result."""
    result = list(query(stack, promql).values())
    assert len(result) <= 1, f"{promql} has {len(result)} series"
    return result[0] if result else None


def eventually(stack, promql, accept, timeout=15):
    """Poll the query until accept(value) holds; return that value (fail with the last one)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = value(stack, promql)
        if seen is not None and accept(seen):
            return seen
        assert time.monotonic() < deadline, f"{promql} is {seen} after {timeout} s"
        time.sleep(0.2)


def send(port, path, count, method="GET"):
    """`count` requests on 4 threads; the statuses they got."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: request(port, path, method=method).status, range(count)))


# ---- never on the public side -----------------------------------------------------------------
def test_internal_listeners_answer(monitored):
    host, _, port = monitored.settings["METRICS_BIND"].rpartition(":")
    assert "api_requests_in_flight" in request(int(port), "/metrics", address=host).text
    host, _, port = monitored.settings["STUB_STATUS_BIND"].rpartition(":")
    assert "Active connections" in request(int(port), "/stub_status", address=host).text


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_metrics_are_404_through_nginx(monitored, path):
    response = request(monitored.port, path)
    assert response.status == 404, response.text
    assert "api_requests" not in response.text and "Active connections" not in response.text


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_metrics_are_404_behind_the_port_mapping(monitored, path):
    public = free_port()
    with port_forwarder(public, monitored.port):
        assert request(public, path).status == 404


def test_metrics_are_404_behind_the_tls_front(monitored, tmp_path):
    port = free_port()
    with caddy(tmp_path, port, monitored.port):
        for path in PUBLIC_PATHS:
            response = request(port, path, host=f"{PUBLIC_HOST}:{port}", tls=(tmp_path / "cert.pem", PUBLIC_HOST))
            assert response.status == 404, path


# ---- read back through Prometheus -------------------------------------------------------------
def test_prometheus_loaded_the_alert_rules(monitored):
    rules = monitoring.rules(monitored.settings)
    assert {rule["name"]: rule["health"] for rule in rules} == {name: "ok" for name in RULES}


def test_requests_sent_come_back_by_route_method_and_status(monitored):
    port = monitored.port
    # A first 20 seen before the rest, so that the rest is an increase for rate() below.
    assert send(port, "/api/result", 20) == [200] * 20
    eventually(monitored, 'api_requests_total{route="/result", method="GET", status="200"}', lambda v: v == 20)
    assert send(port, "/api/result", 180) == [200] * 180
    assert send(port, "/api/result", 30, method="POST") == [200] * 30
    assert send(port, "/api/no/such/route/1", 20) == [404] * 20
    eventually(monitored, 'api_requests_total{route="/result", method="GET", status="200"}', lambda v: v == 200)
    assert value(monitored, 'api_requests_total{route="/result", method="POST", status="200"}') == 30
    # Every unknown path is one series: the label is the route template, never the raw path.
    unmatched = query(monitored, 'api_requests_total{route="unmatched"}')
    assert len(unmatched) == 1 and list(unmatched.values())[0] >= 20
    assert value(monitored, 'api_request_duration_seconds_count{route="/result"}') == 230
    # From the increase since the first 20 (Prometheus's last sample may be a second old).
    p99 = 'histogram_quantile(0.99, sum by (le) (rate(api_request_duration_seconds_bucket{route="/result"}[1m])))'
    eventually(monitored, p99, lambda v: 0 < v <= 30)
    assert value(monitored, "api_requests_in_flight") == 0
    # nginx's own counters, through its exporter: every one of those requests, and more.
    eventually(monitored, "nginx_http_requests_total", lambda v: v >= 250)


def test_a_killed_worker_counts_as_a_restart_and_keeps_its_counts(monitored):
    send(monitored.port, "/api/whoami", 40)
    served = eventually(monitored, 'sum(api_requests_total{route="/whoami"})', lambda v: v == 40)
    before = eventually(monitored, "api_worker_restarts_total", lambda v: True)
    master = monitored.pids()["gunicorn"]
    workers = descendants(master)
    assert len(workers) == 2
    for worker in workers:
        os.kill(worker, signal.SIGKILL)
    eventually(monitored, "api_worker_restarts_total", lambda v: v == before + 2)
    # The dead workers' counts stay (their files outlive them); gunicorn's master started others.
    assert value(monitored, 'sum(api_requests_total{route="/whoami"})') == served
    assert len(descendants(master)) == 2


def test_a_502_burst_shows_as_the_api_down_and_in_nginx_requests(monitored):
    eventually(monitored, 'up{job="api"}', lambda v: v == 1)
    nginx_before = eventually(monitored, "nginx_http_requests_total", lambda v: True)
    assert value(monitored, RULES["APIDown"]) is None
    monitored.stop_process("gunicorn")
    try:
        assert send(monitored.port, "/api/result", 50) == [502] * 50
        eventually(monitored, 'up{job="api"}', lambda v: v == 0)
        # The alert's own expression (rules.yml) now has a series; `for: 1m` would then fire it.
        assert value(monitored, RULES["APIDown"]) == 0
        eventually(monitored, "nginx_http_requests_total", lambda v: v >= nginx_before + 50)
    finally:
        monitored.start_api()
    eventually(monitored, 'up{job="api"}', lambda v: v == 1)
