"""The home page over https from nginx at the edge (make https natively), with a certificate
lego got from Pebble; and make https-local's, with the runner's local CA.

Chromium trusts Pebble's root the way a machine trusts a CA: in the NSS database of its HOME
(certutil), so it verifies the chain and the name as for any site; nothing is ignored. DOMAIN
resolves to the edge's loopback address (--host-resolver-rules), and the browser opens
http://DOMAIN/ like a person typing the name.
"""

import os
import subprocess

import pytest
from e2e.conftest import TIMEOUT_MS, VIEWPORT, PageWatch
from e2e.pages import ALL_OK, RESULT_MESSAGE, check_states, settled_state, text

from stack import https, local_ca
from stack.native import free_port
from stack.tls_edge import HttpsStack
from support.acme import DOMAIN
from support.browser import CHROMIUM, CHROMIUM_ARGS, retried_when_the_network_changed
from support.stacks import stack_settings


def _nss_db_trusting(home, root, name="pebble-root"):
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{db}", "-n", name, "-t", "C,,", "-i", str(root)],
        check=True,
        capture_output=True,
    )


def _launch(playwright, home, address):
    args = [arg for arg in CHROMIUM_ARGS if not arg.startswith("--host-resolver-rules")]
    args.append(f"--host-resolver-rules=MAP {DOMAIN} {address}")
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=args, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}
    )


@pytest.fixture(scope="module")
def trusting_browser(playwright, acme_edge, tmp_path_factory):
    """Chromium whose only extra trust is Pebble's root."""
    home = tmp_path_factory.mktemp("chromium-home")
    _nss_db_trusting(home, acme_edge.pebble.root)
    chromium = _launch(playwright, home, acme_edge.address)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def untrusting_browser(playwright, acme_edge, tmp_path_factory):
    """The same Chromium with an empty HOME: Pebble's root is not trusted."""
    chromium = _launch(playwright, tmp_path_factory.mktemp("chromium-bare"), acme_edge.address)
    yield chromium
    chromium.close()


def _page(browser):
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.watch = PageWatch(page)
    page.goto = retried_when_the_network_changed(page.goto)
    return page


def test_home_over_https_with_the_acme_certificate_is_all_green(trusting_browser, acme_edge):
    page = _page(trusting_browser)
    try:
        response = page.goto(f"http://{DOMAIN}/")
        assert response.url == f"https://{DOMAIN}/"
        assert response.request.redirected_from.url == f"http://{DOMAIN}/"
        assert response.header_value("strict-transport-security") == "max-age=31536000"

        # Settled first: a page load whose fetch a host network change aborted is made again.
        assert settled_state(page) == "ok", page.watch.log
        api = [r for r in page.watch.responses if r.url == f"https://{DOMAIN}/api/"]
        assert api, page.watch.log
        assert api[-1].status == 302
        assert api[-1].header_value("location") == f"https://{DOMAIN}/api/result"
        assert page.evaluate("location.protocol") == "https:"
        assert text(page, "landed-url") == f"https://{DOMAIN}/api/result"
        assert text(page, "result-message") == RESULT_MESSAGE
        assert text(page, "browser-origin") == f"https://{DOMAIN}"
        assert (text(page, "api-scheme"), text(page, "api-port")) == ("https", "443")
        assert text(page, "api-result-url") == f"https://{DOMAIN}/api/result"
        assert check_states(page) == ALL_OK
        page.watch.assert_clean()
    finally:
        page.context.close()


def test_chromium_refuses_the_site_without_pebbles_root(untrusting_browser):
    page = _page(untrusting_browser)
    try:
        with pytest.raises(Exception, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(f"https://{DOMAIN}/")
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def local_edge(built_frontend):
    """make https-local's native stack: nginx at the edge with the local CA's certificate."""
    settings = stack_settings(HTTPS_PORT=free_port(), HTTP_REDIRECT_PORT=free_port())
    settings.update(https.check(settings, local=True))
    stack = HttpsStack(settings, name=f"tests/{os.getpid()}-https-local-e2e", quiet=True, build=False)
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_home_over_https_local_is_all_green_once_the_local_ca_is_trusted(playwright, local_edge, tmp_path):
    # What docs/https.md tells a developer: trust .run/local-ca/ca.crt once (here: an NSS database).
    _nss_db_trusting(tmp_path, local_ca.paths()[0], name="local-ca")
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    origin = f"https://localhost:{local_edge.https_port}"
    try:
        page = _page(chromium)
        response = page.goto(f"http://localhost:{local_edge.redirect_port}/")
        assert response.url == f"{origin}/"
        assert settled_state(page) == "ok", page.watch.log
        assert text(page, "browser-origin") == origin
        assert text(page, "landed-url") == f"{origin}/api/result"
        assert check_states(page) == ALL_OK
        page.watch.assert_clean()
    finally:
        chromium.close()
