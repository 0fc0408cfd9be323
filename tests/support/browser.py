"""Debian's Chromium as the tests launch it (Playwright's own browser download does not work
on these machines). public.example resolves to 127.0.0.1 inside it, so a TLS front proxy on
loopback can be opened under its certificate's name."""

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


def warm_up(browser, port):
    """Load the app once, with time to spare: Vite bundles the dependencies on the first page
    load, which the tests' 15 s must not pay for on a busy machine."""
    context = browser.new_context()
    try:
        context.new_page().goto(f"http://localhost:{port}/")
        context.pages[0].wait_for_selector('[data-testid="status-banner"][data-state="ok"]', timeout=120_000)
    finally:
        context.close()
