"""`make dev` in Chromium: a .vue edit reaches the open page through nginx without a reload
(HMR over nginx's port), a Flask route edit is live on the next request. The sources edited are
the copies the dev stack runs (tests/dev/conftest.py), never the checkout's files."""

import json
import time

import pytest
from e2e.pages import settled_state

from support.rawhttp import request

HEADING = "Do the URLs come out right?"
# Vite serves every module of a fresh page on demand: under a full make test that took past 15 s.
TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser):
    """A fresh page that records console messages and WebSocket URLs."""
    context = browser.new_context()
    page = context.new_page()
    page.console_lines, page.websockets = [], []
    page.on("console", lambda msg: page.console_lines.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: page.console_lines.append(f"pageerror: {exc}"))
    page.on("websocket", lambda ws: page.websockets.append(ws.url))
    page.on("requestfailed", lambda req: page.console_lines.append(f"requestfailed: {req.url} {req.failure}"))
    yield page
    context.close()


def open_home(page, port):
    """Open the home page and wait for its checks to pass and Vite's client to connect."""
    page.goto(f"http://localhost:{port}/")
    state = settled_state(page, timeout=TIMEOUT_MS, log=page.console_lines)
    assert state == "ok", (state, page.console_lines)
    deadline = time.monotonic() + 10
    while "debug: [vite] connected." not in page.console_lines:
        assert time.monotonic() < deadline, page.console_lines
        page.wait_for_timeout(50)


def csp_violations(page):
    return [line for line in page.console_lines if "Content Security Policy" in line]


def test_vue_edit_updates_the_page_through_nginx_without_a_reload(dev_stack, dev_sources, page, record_property):
    open_home(page, dev_stack.port)
    # Vite's client connects back to the port its script came from: nginx's.
    assert page.websockets and all(
        url.startswith(f"ws://localhost:{dev_stack.port}/?token=") for url in page.websockets
    ), page.websockets
    page.evaluate("window.__marker = 'before the edit'")

    view = dev_sources.frontend / "src" / "views" / "HomeView.vue"
    edited = "Hot-reloaded through nginx"
    source = view.read_text()
    assert HEADING in source
    started = time.monotonic()
    view.write_text(source.replace(HEADING, edited))
    page.wait_for_selector(f"h1:has-text('{edited}')", timeout=TIMEOUT_MS)
    record_property("vue_edit_to_page_update_s", round(time.monotonic() - started, 3))

    assert page.evaluate("window.__marker") == "before the edit", "the page was reloaded"
    # The component kept its state: the checks did not run again.
    assert page.get_attribute('[data-testid="status-banner"]', "data-state") == "ok"
    assert any("[vite] hot updated: /src/views/HomeView.vue" in line for line in page.console_lines), page.console_lines
    assert csp_violations(page) == []


def test_page_on_vites_own_port_gets_hmr_and_the_api(dev_stack, page):
    vite = dev_stack.vite_port
    open_home(page, vite)
    assert page.websockets and all(url.startswith(f"ws://localhost:{vite}/?token=") for url in page.websockets), (
        page.websockets
    )
    # The home page's checks passed: the API saw Vite's port as the public one.
    assert page.inner_text('[data-testid="api-result-url"]') == f"http://localhost:{vite}/api/result"


def test_flask_route_edit_is_live_on_the_next_request(dev_stack, dev_sources, record_property):
    before = request(dev_stack.port, "/api/result").json()["message"]
    routes = dev_sources.backend / "app" / "api.py"
    source = routes.read_text()
    assert before in source
    edited = "Reloaded by gunicorn after an edit."
    started = time.monotonic()
    routes.write_text(source.replace(before, edited))

    # gunicorn's reloader polls once a second, then the worker restarts.
    deadline = started + 20
    while True:
        answer = request(dev_stack.port, "/api/result")
        if answer.status == 200 and answer.json()["message"] == edited:
            break
        assert time.monotonic() < deadline, f"still {answer.status} {answer.text!r} after 20 s"
        time.sleep(0.1)
    record_property("flask_edit_to_new_answer_s", round(time.monotonic() - started, 3))
    # The rest of the chain is unchanged: the redirect still names nginx's port.
    assert request(dev_stack.port, "/api/").header("Location") == f"http://localhost:{dev_stack.port}/api/result"
    assert json.loads(request(dev_stack.port, "/api/health").body) == {"status": "ok"}
