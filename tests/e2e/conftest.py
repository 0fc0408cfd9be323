"""Real Chromium (Debian's, driven by Playwright) against the real native stack.

Fixtures:
- browser (tests/conftest.py): one headless Chromium for the whole session.
- open_page(**context_options): a fresh context and page, watched (see PageWatch).
- page: open_page() with the default 1280x900 viewport.

On a failing test every page it opened leaves a screenshot, its console and network log and
its DOM in test-results/e2e/<test name>/.
"""

import re
import shutil
from pathlib import Path

import pytest

from support.browser import retried_when_the_network_changed

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results" / "e2e"
TIMEOUT_MS = 20_000
VIEWPORT = {"width": 1280, "height": 900}


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (item.rep_setup, rep_call, rep_teardown)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _failed(item):
    return any(getattr(getattr(item, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


def artifact_dir(name):
    """test-results/e2e/<name>/, the name made safe for a folder."""
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


class PageWatch:
    """What a page showed in its console and what its requests did.

    errors: console errors, uncaught page errors, failed requests and HTTP answers >= 400,
    except those a test declared with expect(url_regex) (an expected 502, a redirect that
    is meant to fail).
    """

    def __init__(self, page):
        self.page = page
        self.log = []  # every console message and network problem, in order, for artifacts
        self.responses = []  # every response, redirects included, in order
        self.errors = []
        self._expected = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self._error(f"pageerror: {exc}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def expect(self, url_regex):
        """Requests to URLs matching url_regex may fail or answer >= 400 in this test."""
        self._expected.append(re.compile(url_regex))

    def _is_expected(self, *texts):
        return any(pattern.search(t) for pattern in self._expected for t in texts if t)

    def _error(self, line, *about):
        self.log.append(line)
        if not self._is_expected(*about):
            self.errors.append(line)

    def _on_console(self, msg):
        location = msg.location or {}
        line = f"console.{msg.type}: {msg.text} ({location.get('url', '')}:{location.get('lineNumber', '')})"
        if msg.type == "error":
            # A resource that failed to load is reported with its own URL as the location;
            # a blocked request (CSP, CORS) names its URL in the text.
            failed_load = msg.text.startswith("Failed to load resource")
            if failed_load and "ERR_NETWORK_CHANGED" in msg.text:
                self.log.append(line)  # the host's network, as in _on_request_failed
                return
            self._error(line, msg.text, location.get("url") if failed_load else None)
        else:
            self.log.append(line)

    def _on_request_failed(self, request):
        line = f"requestfailed: {request.method} {request.url}: {request.failure}"
        if "ERR_NETWORK_CHANGED" in (request.failure or ""):
            self.log.append(line)  # the host's network, not the site (see retried_when_the_network_changed)
            return
        self._error(line, request.url)

    def _on_response(self, response):
        self.responses.append(response)
        if response.status >= 400:
            self._error(f"response {response.status}: {response.request.method} {response.url}", response.url)

    def forget_aborted_load(self):
        """The page is loaded again because the host's network changed under this load: what
        went wrong in it (a script or a socket cut off with it) stays in the log, and the page
        is judged on the next load."""
        self.log.extend(f"aborted load (network changed): {line}" for line in self.errors)
        self.errors.clear()

    def assert_clean(self):
        assert self.errors == [], "the page logged errors or had failed requests:\n" + "\n".join(self.errors)


@pytest.fixture
def open_page(browser, request):
    """open_page(**context_options) -> a new page in its own context, with page.watch."""
    opened = []

    def open_(**options):
        options.setdefault("viewport", VIEWPORT)
        options.setdefault("color_scheme", "light")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.watch = PageWatch(page)
        page.goto = retried_when_the_network_changed(page.goto)
        page.reload = retried_when_the_network_changed(page.reload)
        opened.append(page)
        return page

    artifacts = artifact_dir(request.node.name)
    shutil.rmtree(artifacts, ignore_errors=True)  # no leftovers from an earlier run
    yield open_

    failed = _failed(request.node)
    for number, page in enumerate(opened):
        if failed:
            artifacts.mkdir(parents=True, exist_ok=True)
            _save_artifacts(page, artifacts, suffix="" if number == 0 else f"-{number}")
        page.context.close()


def _save_artifacts(page, folder, suffix):
    lines = [f"url: {page.url}", *page.watch.log]
    (folder / f"console{suffix}.log").write_text("\n".join(lines) + "\n")
    try:
        page.screenshot(path=str(folder / f"screenshot{suffix}.png"), full_page=True, timeout=5_000)
        (folder / f"dom{suffix}.html").write_text(page.content())
    except Exception as exc:  # a crashed or closed page still leaves its log
        with (folder / f"console{suffix}.log").open("a") as log:
            log.write(f"no screenshot: {exc}\n")


@pytest.fixture
def page(open_page):
    return open_page()
