"""The home page in Chromium: it follows the API's redirect, asks /api/whoami and says
whether the URLs come out right, directly, behind a port mapping, behind TLS fronts, with
the API down, and behind a proxy that loses the port."""

import re

import pytest
from e2e.pages import ALL_OK, RESULT_MESSAGE, by_testid, check_states, settled_state, text

from stack.native import free_port
from support.processes import port_forwarder
from support.tls_proxies import FRONTS, PUBLIC_HOST, host_rewriter


def test_home_shows_the_result_url_after_following_the_redirect(page, stack):
    with page.expect_response(re.compile(r"/api/$")) as first:
        page.goto(stack.url + "/")
    assert first.value.status == 302
    assert first.value.headers["location"] == f"http://localhost:{stack.port}/api/result"

    assert settled_state(page) == "ok"
    assert text(page, "landed-url") == f"http://localhost:{stack.port}/api/result"
    assert text(page, "result-message") == RESULT_MESSAGE
    assert text(page, "browser-origin") == f"http://localhost:{stack.port}"
    assert text(page, "api-port") == str(stack.port)
    assert text(page, "api-result-url") == f"http://localhost:{stack.port}/api/result"
    assert check_states(page) == ALL_OK
    assert by_testid(page, "status-banner").is_visible()
    page.watch.assert_clean()


def test_home_keeps_the_public_port_behind_a_port_mapping(page, stack):
    public = free_port()
    assert public != stack.port
    with port_forwarder(public, stack.port):
        page.goto(f"http://localhost:{public}/")
        state = settled_state(page)
        landed = text(page, "landed-url")
        api_port = text(page, "api-port")
        checks = check_states(page)
    assert state == "ok"
    assert landed == f"http://localhost:{public}/api/result"
    assert api_port == str(public)
    assert checks == ALL_OK
    page.watch.assert_clean()


@pytest.fixture
def stack_without_api(start_stack):
    """A stack of its own whose gunicorn is stopped: nginx answers /api/* with 502."""
    stack = start_stack()
    stack.stop_process("gunicorn")
    return stack


def test_home_says_the_api_is_down_and_recovers_on_run_again(page, stack_without_api):
    stack = stack_without_api
    page.watch.expect(r"/api/(whoami)?$")  # the two 502s while the API is down
    page.goto(stack.url + "/")

    assert settled_state(page) == "error"
    error = by_testid(page, "api-error")
    assert error.is_visible()
    message = error.inner_text()
    # One sentence: what failed, the status, and the request id nginx logged for it.
    found = re.fullmatch(
        r"The API is down or restarting: GET /api/whoami answered 502 Bad Gateway "
        r"\(request id ([0-9a-f]{32})\)\.",
        message,
    )
    assert found, message
    assert f"request_id={found.group(1)}" in (stack.run_dir / "access.log").read_text()
    assert page.locator('[data-testid="status-banner"] .spinner').count() == 0
    assert set(check_states(page).values()) == {None}  # nothing was checked, nothing claims ok

    stack.start_api()
    by_testid(page, "rerun").click()
    banner = by_testid(page, "status-banner")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=status-banner]').dataset.state === 'ok'",
        timeout=10_000,
    )
    assert banner.get_attribute("data-state") == "ok"
    assert by_testid(page, "api-error").count() == 0
    assert text(page, "landed-url") == f"http://localhost:{stack.port}/api/result"
    assert check_states(page) == ALL_OK
    page.watch.assert_clean()  # nothing unexpected besides the two 502s


def test_home_shows_the_problem_when_a_proxy_drops_the_port_from_host(page, stack, tmp_path):
    public = free_port()
    # The misconfiguration: a proxy that sends Host without the port.
    # The API now redirects to http://localhost/api/result (port 80): following it must fail.
    page.watch.expect(r"//localhost/api/result")
    with host_rewriter(tmp_path, public, stack.port):
        page.goto(f"http://localhost:{public}/")
        state = settled_state(page)
        checks = check_states(page)
        api_port = text(page, "api-port")
        port_check = text(page, "check-port")
        port_problem = text(page, "problem-port")
        built = text(page, "api-result-url")

    assert state == "problem"
    assert checks == {
        "scheme": "true",
        "host": "true",
        "port": "false",
        "prefix": "true",
        "redirect": "false",
        "url_for": "false",
    }
    assert api_port == "80"
    assert built == "http://localhost/api/result"
    for message in (port_check, port_problem):
        assert "port 80" in message
        assert f"port {public}" in message
    page.watch.assert_clean()


@pytest.fixture(scope="module")
def trusted_stack(start_stack):
    """A stack that believes the front proxies on 127.0.0.1."""
    return start_stack(TRUSTED_PROXIES="127.0.0.1")


@pytest.mark.parametrize("front", sorted(FRONTS))
def test_home_is_all_green_through_a_tls_front(open_page, trusted_stack, tmp_path, front):
    port = free_port()
    page = open_page(ignore_https_errors=True)  # the front's certificate is a throwaway one
    with FRONTS[front](tmp_path, port, trusted_stack.port):
        page.goto(f"https://{PUBLIC_HOST}:{port}/")
        state = settled_state(page)
        protocol = page.evaluate("location.protocol")
        landed = text(page, "landed-url")
        scheme, api_port = text(page, "api-scheme"), text(page, "api-port")
        checks = check_states(page)
    assert protocol == "https:"
    assert state == "ok"
    assert landed == f"https://{PUBLIC_HOST}:{port}/api/result"
    assert (scheme, api_port) == ("https", str(port))
    assert checks == ALL_OK
    page.watch.assert_clean()
