"""Client-side routing in Chromium, and a clean console under the page's strict CSP."""

import pytest
from e2e.pages import by_testid, settled_state, text

VIEWS = ("home-view", "about-view", "notfound-view")


def shown_views(page):
    """The top-level views on screen now."""
    return [view for view in VIEWS if by_testid(page, view).is_visible()]


def document_loads(page):
    """A list that grows with every full page load (not with client-side navigation)."""
    loads = []
    page.on(
        "request",
        lambda request: (
            loads.append(request.url)
            if request.resource_type == "document" and request.frame == page.main_frame
            else None
        ),
    )
    return loads


def test_deep_link_to_about_renders_about_and_survives_a_reload(page, stack):
    response = page.goto(stack.url + "/about")
    assert response.status == 200
    by_testid(page, "about-view").wait_for()
    assert shown_views(page) == ["about-view"]
    assert page.title() == "About · URL check"

    # A reload cancels requests still in flight (the favicon: net::ERR_ABORTED): let them end.
    page.wait_for_load_state("networkidle")
    page.reload()
    by_testid(page, "about-view").wait_for()
    assert page.url == stack.url + "/about"
    assert shown_views(page) == ["about-view"]
    page.watch.assert_clean()


def test_unknown_route_shows_not_found_with_the_path(page, stack):
    page.goto(stack.url + "/no/such/page")
    by_testid(page, "notfound-view").wait_for()
    assert shown_views(page) == ["notfound-view"]
    assert text(page, "notfound-path") == "/no/such/page"
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.watch.assert_clean()


def test_nav_links_navigate_without_reloading_and_history_works(page, stack):
    loads = document_loads(page)
    page.goto(stack.url + "/")
    assert settled_state(page) == "ok"
    page.evaluate("window.__sameDocument = 'yes'")  # gone after any full page load
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="About").click()
    by_testid(page, "about-view").wait_for()
    assert page.url == stack.url + "/about"
    assert shown_views(page) == ["about-view"]

    page.go_back()
    by_testid(page, "home-view").wait_for()
    assert page.url == stack.url + "/"
    assert shown_views(page) == ["home-view"]

    page.go_forward()
    by_testid(page, "about-view").wait_for()
    assert page.url == stack.url + "/about"
    assert shown_views(page) == ["about-view"]

    nav.get_by_role("link", name="Home").click()
    by_testid(page, "home-view").wait_for()
    assert page.url == stack.url + "/"
    assert settled_state(page) == "ok"  # the home page checks again when it comes back

    assert page.evaluate("window.__sameDocument") == "yes"
    assert loads == [stack.url + "/"]
    page.watch.assert_clean()


@pytest.mark.parametrize(
    "path, view", [("/", "home-view"), ("/about", "about-view"), ("/no/such/page", "notfound-view")]
)
def test_page_has_no_console_errors_or_failed_requests(page, stack, path, view):
    response = page.goto(stack.url + path)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp  # the policy under test
    by_testid(page, view).wait_for()
    if view == "home-view":
        assert settled_state(page) == "ok"
    page.wait_for_load_state("networkidle")  # late requests (favicon, lazy chunks) too
    page.watch.assert_clean()
    assert page.watch.log == []  # not even a warning


def test_an_inline_script_is_blocked_and_reported_in_the_console(page, stack):
    # What the previous test relies on: a CSP violation on this page is a console error.
    page.goto(stack.url + "/about")
    by_testid(page, "about-view").wait_for()
    with page.expect_console_message(lambda msg: msg.type == "error", timeout=5_000) as blocked:
        page.evaluate("""() => {
            const script = document.createElement('script')
            script.textContent = 'window.__inlineRan = true'
            document.body.append(script)
        }""")
    assert "Content Security Policy" in blocked.value.text
    assert page.evaluate("window.__inlineRan") is None
    assert any("Content Security Policy" in line for line in page.watch.errors)


# A third nav link, as a new page adds one, with a label as long as "Settings".
ADD_NAV_LINK = """() => {
    const list = document.querySelector('.nav-list')
    const item = list.lastElementChild.cloneNode(true)
    item.querySelector('a').textContent = 'Settings'
    list.append(item)
}"""
# Heights of the brand's text and of one line of it, and how wide the page is.
BRAND_METRICS = """() => {
    const name = document.querySelector('.brand span')
    return {
        height: name.getBoundingClientRect().height,
        line: parseFloat(getComputedStyle(name).lineHeight),
        pageWidth: document.documentElement.scrollWidth,
        links: document.querySelectorAll('nav a').length,
    }
}"""


def test_brand_stays_on_one_line_at_375px_with_three_nav_links(open_page, stack):
    page = open_page(viewport={"width": 375, "height": 812})
    page.goto(stack.url + "/")
    page.wait_for_selector("nav a")
    page.evaluate(ADD_NAV_LINK)
    metrics = page.evaluate(BRAND_METRICS)
    assert metrics["links"] == 3
    assert metrics["height"] < 1.5 * metrics["line"], f"the brand wraps: {metrics}"
    assert metrics["pageWidth"] <= 375, f"the header scrolls sideways: {metrics}"
