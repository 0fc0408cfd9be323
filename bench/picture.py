"""docs/monitoring.png: Prometheus's graph of the API's request rate and p99 latency during a load.

    python -m bench.picture [--out docs/monitoring.png]

Starts the native stack with MONITORING=1 on free loopback ports (Prometheus scraping every
second), drives wrk at the hello route in phases of more and fewer clients, then opens
Prometheus's graph page for QUERIES in headless Chromium (Debian's) and saves a screenshot.
Everything it started is stopped at the end. Run it under the bench's lock on a shared machine.
"""

import argparse
import subprocess
import sys
import time
import urllib.parse

from playwright.sync_api import sync_playwright

from stack import monitoring, spa, tools
from stack.env import ROOT
from stack.native import NativeStack, free_port

# tests/support (bench/__init__ puts tests/ on the path)
from support.browser import launch

# The two queries docs/monitoring.md names: requests per second by route, and the p99 latency.
QUERIES = (
    "sum by (route) (rate(api_requests_total[15s]))",
    "histogram_quantile(0.99, sum by (le) (rate(api_request_duration_seconds_bucket[15s])))",
)
# (wrk connections, seconds): a load that rises and falls, so both lines move.
PHASES = ((2, 15), (16, 15), (4, 15), (48, 15), (8, 10))


def graph_url(base, minutes):
    """Prometheus's graph page with QUERIES as panels, the last `minutes` shown (Debian's
    Prometheus serves the classic page; the official image's UI takes the same parameters)."""
    params = {}
    for i, expr in enumerate(QUERIES):
        params.update({f"g{i}.expr": expr, f"g{i}.tab": "0", f"g{i}.range_input": f"{minutes}m"})
    return f"{base}/classic/graph?{urllib.parse.urlencode(params)}"


def load(port):
    for connections, seconds in PHASES:
        print(f"picture: wrk -c{connections} for {seconds} s ...", flush=True)
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}/api/result"],
            check=True,
            capture_output=True,
        )


def screenshot(url, out):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(url)
            # Each panel draws its lines (SVG paths) once its range query has answered.
            page.wait_for_function("document.querySelectorAll('.graph_container svg path').length >= 2", timeout=30_000)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.picture", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "monitoring.png"))
    args = parser.parse_args(argv)
    tools.require("nginx", "envsubst", "wrk", "chromium", *monitoring.PROGRAMS)
    spa.build({"API_PREFIX": "/api"})
    settings = {
        "HTTP_PORT": str(free_port()),
        "MONITORING": "1",
        "METRICS_BIND": f"127.0.0.1:{free_port()}",
        "STUB_STATUS_BIND": f"127.0.0.1:{free_port()}",
        "PROMETHEUS_PORT": str(free_port()),
        "NGINX_EXPORTER_PORT": str(free_port()),
    }
    stack = NativeStack(settings, name="bench-picture", quiet=True, build=False, scrape_interval="1s")
    stack.start()
    try:
        started = time.monotonic()
        load(stack.port)
        minutes = int((time.monotonic() - started) // 60) + 1
        screenshot(graph_url(monitoring.prometheus_url(stack.settings), minutes), args.out)
    finally:
        stack.stop()
    print(f"picture: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
