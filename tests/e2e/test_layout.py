"""How the home page looks and behaves for a person: no sideways scrolling on a phone or a
laptop, nothing jumping when the answers arrive, and usable with the keyboard alone.

Screenshots from these tests are always kept, in test-results/e2e/screens/.
"""

import os
import re
import struct
from pathlib import Path

import pytest
from e2e.pages import ALL_OK, RESULT_MESSAGE, by_testid, check_states, settled_state, text

from support.processes import port_forwarder

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-results" / "e2e" / "screens"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot.png"
VIEWPORTS = [(375, 812), (1280, 900)]

# The main blocks of the home page, top to bottom.
SECTIONS = {
    "intro": ".home__intro",
    "banner": '[data-testid="status-banner"]',
    "panels": ".home__panels",
    "checks": 'section[aria-labelledby="checks-heading"]',
}

# Sum of the layout-shift entries not caused by input (the CLS of the page so far). Entries
# are buffered, so the ones from before this script ran count too; they reach the callback
# asynchronously, hence the short wait.
CUMULATIVE_LAYOUT_SHIFT = """() => new Promise((resolve) => {
    let total = 0
    const add = (entries) => {
        for (const entry of entries) if (!entry.hadRecentInput) total += entry.value
    }
    const observer = new PerformanceObserver((list) => add(list.getEntries()))
    observer.observe({ type: 'layout-shift', buffered: true })
    setTimeout(() => {
        add(observer.takeRecords())
        observer.disconnect()
        resolve(total)
    }, 300)
})"""


def screen_path(name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    return str(SCREENS / name)


def tops(page):
    """{section: top edge} in page coordinates, in whole pixels. A section that grows or
    shrinks moves the tops of the ones below it; the last one may grow downwards."""
    return {
        name: round(page.eval_on_selector(selector, "e => e.getBoundingClientRect().top + scrollY"))
        for name, selector in SECTIONS.items()
    }


class HeldApi:
    """Holds the page's API requests until release(): the loading state stays on screen as
    long as a test needs, like on a slow connection."""

    def __init__(self, page):
        self.page, self.held, self.holding = page, [], True
        page.route(re.compile(r"/api/"), self._route)

    def _route(self, route):
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def wait_for(self, count, timeout_ms=10_000):
        for _ in range(timeout_ms // 50):
            if len(self.held) >= count:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"{len(self.held)} API requests were made, {count} expected")

    def release(self):
        self.holding = False
        for route in self.held:
            route.continue_()


@pytest.mark.parametrize("width, height", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_home_fits_the_screen_and_does_not_shift_when_results_arrive(open_page, stack, width, height):
    page = open_page(viewport={"width": width, "height": height})
    api = HeldApi(page)
    page.goto(stack.url + "/")
    api.wait_for(2)  # /api/ and /api/whoami, held: the page is loading
    assert by_testid(page, "status-banner").get_attribute("data-state") == "loading"
    before = tops(page)
    page.screenshot(path=screen_path(f"home-loading-{width}x{height}.png"))

    api.release()
    assert settled_state(page) == "ok"
    assert check_states(page) == ALL_OK
    after = tops(page)
    shift = page.evaluate(CUMULATIVE_LAYOUT_SHIFT)
    page.screenshot(path=screen_path(f"home-ok-{width}x{height}.png"))
    page.screenshot(path=screen_path(f"home-ok-{width}x{height}-full.png"), full_page=True)

    # No sideways scrolling, and every block inside the viewport's width.
    scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert inner_width == width
    assert scroll_width <= inner_width
    for name, selector in SECTIONS.items():
        right = page.eval_on_selector(selector, "e => e.getBoundingClientRect().right")
        assert right <= inner_width, f"{name} sticks out: right edge at {right}px"

    # The verdict is on the first screen; the result is there once scrolled to.
    banner = by_testid(page, "status-banner").bounding_box()
    assert banner["y"] >= 0 and banner["y"] + banner["height"] <= height
    result = by_testid(page, "result-message")
    result.scroll_into_view_if_needed()
    assert result.is_visible()
    assert result.inner_text().strip() == RESULT_MESSAGE

    # Nothing moved when the answers replaced the placeholders.
    assert shift < 0.1, f"cumulative layout shift {shift:.3f}"
    assert after == before, f"sections moved: {before} -> {after}"
    page.watch.assert_clean()


def focused(page):
    """What has the keyboard focus: its data-testid, else its text; and whether it shows."""
    return page.evaluate("""() => {
        const e = document.activeElement
        const style = getComputedStyle(e)
        return {
            name: e.dataset.testid || e.textContent.trim(),
            tag: e.tagName.toLowerCase(),
            ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
        }
    }""")


def tab_until(page, name, limit=20):
    """Press Tab until the element called name has the focus; the names passed on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        if now["name"] == name:
            return seen
    raise AssertionError(f"Tab never reached {name!r}; it went through {[s['name'] for s in seen]}")


def test_keyboard_reaches_the_nav_and_run_again_and_enter_follows_about(page, stack):
    page.goto(stack.url + "/")
    assert settled_state(page) == "ok"

    path = tab_until(page, "rerun")
    names = [stop["name"] for stop in path]
    assert names.index("Home") < names.index("About") < names.index("rerun"), names
    for stop in path:
        if stop["name"] in ("Home", "About", "rerun"):
            assert stop["ring"], f"{stop['name']} has the focus but no visible focus ring"
    assert path[-1]["tag"] == "button"

    # A reload cancels requests still in flight (the favicon: net::ERR_ABORTED): let them end.
    page.wait_for_load_state("networkidle")
    page.reload()
    assert settled_state(page) == "ok"
    assert tab_until(page, "About")[-1]["tag"] == "a"
    page.screenshot(path=screen_path("keyboard-focus-about.png"))
    page.keyboard.press("Enter")
    by_testid(page, "about-view").wait_for()
    assert page.url == stack.url + "/about"
    assert by_testid(page, "home-view").count() == 0
    page.watch.assert_clean()


def png_size(path):
    with open(path, "rb") as png:
        head = png.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_docs_screenshot_is_the_ok_home_page_at_1280x900(open_page, stack):
    """UPDATE_SCREENSHOT=1 rewrites docs/screenshot.png, taken at the README's
    http://localhost:8000 (forwarded to the test stack; 8000 must be free)."""
    update = os.environ.get("UPDATE_SCREENSHOT") == "1"
    page = open_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    target = SCREENS / "docs-screenshot.png"
    if update:
        target = DOCS_SCREENSHOT
        target.parent.mkdir(exist_ok=True)
        with port_forwarder(8000, stack.port):
            page.goto("http://localhost:8000/")
            assert settled_state(page) == "ok"
            _take_docs_screenshot(page, target)
    else:
        page.goto(stack.url + "/")
        assert settled_state(page) == "ok"
        _take_docs_screenshot(page, target)
    page.watch.assert_clean()
    assert png_size(target) == (1280, 900)
    assert png_size(DOCS_SCREENSHOT) == (1280, 900), "docs/screenshot.png: run with UPDATE_SCREENSHOT=1"


def _take_docs_screenshot(page, target):
    assert check_states(page) == ALL_OK
    assert text(page, "result-message") == RESULT_MESSAGE
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)  # no hover effect in the picture
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), animations="disabled", caret="hide")
