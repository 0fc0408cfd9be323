"""Debian's Chromium as the tests launch it (Playwright's own browser download does not work
on these machines). public.example resolves to 127.0.0.1 inside it, so a TLS front proxy on
loopback can be opened under its certificate's name."""

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .tls_proxies import PUBLIC_HOST

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No network here but loopback: without these, Chromium's background fetches fail loudly.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1",
]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def retried_when_the_network_changed(navigate):
    """Chromium aborts a navigation with net::ERR_NETWORK_CHANGED when the host's addresses
    change, as they do when a Docker suite running beside this one creates or removes a network:
    that navigation is made again (twice at most); any other failure stands."""

    def again(*args, **kwargs):
        for attempt in range(3):
            try:
                return navigate(*args, **kwargs)
            except PlaywrightError as exc:
                if "ERR_NETWORK_CHANGED" not in str(exc) or attempt == 2:
                    raise

    return again


def warm_up(browser, port, timeout=120):
    """Load the app once, with time to spare: Vite bundles the dependencies on the first page
    load, which the tests' own timeouts must not pay for on a busy machine. A load that a host
    network change cut off (one of Vite's module scripts aborted: the app never starts) is made
    again until the banner is green or `timeout` seconds have passed."""
    context = browser.new_context()
    page = context.new_page()
    aborted = []  # URLs of requests a network change cut off

    def on_failed(request):
        if "ERR_NETWORK_CHANGED" in (request.failure or ""):
            aborted.append(request.url)

    page.on("requestfailed", on_failed)
    deadline = time.monotonic() + timeout
    try:
        retried_when_the_network_changed(page.goto)(f"http://localhost:{port}/")
        while True:
            try:
                page.wait_for_selector('[data-testid="status-banner"][data-state="ok"]', timeout=5_000)
                return
            except PlaywrightTimeoutError:
                if time.monotonic() > deadline:
                    raise
            if aborted:
                aborted.clear()
                retried_when_the_network_changed(page.reload)()
    finally:
        context.close()
