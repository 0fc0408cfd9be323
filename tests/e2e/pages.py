"""Reading the home page the way a person would: the banner, the facts, the six checks."""

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHECK_IDS = ("scheme", "host", "port", "prefix", "redirect", "url_for")
RESULT_MESSAGE = "You followed the redirect and reached the result."
SETTLE_MS = 10_000


def by_testid(page, testid):
    return page.get_by_test_id(testid)


def text(page, testid):
    return by_testid(page, testid).inner_text().strip()


def settled_state(page, timeout=SETTLE_MS, log=None):
    """Wait (bounded) until the banner leaves "loading", then return its data-state.

    When one of the page's own requests was aborted with net::ERR_NETWORK_CHANGED (the host's
    addresses changed: a Docker suite beside this one made a network), the checks ran on a
    broken fetch, or the app never started (a module script of Vite's dev server aborted): the
    page is loaded again, twice at most, and judged on that load alone. log: the lines that record failed
    requests (page.watch.log when not given)."""
    if log is None:
        log = page.watch.log if hasattr(page, "watch") else []
    for attempt in range(3):
        try:
            page.wait_for_selector('[data-testid="status-banner"]:not([data-state="loading"])', timeout=timeout)
        except PlaywrightTimeoutError as exc:
            state = "not settled"
            if not _network_changed(log) or attempt == 2:
                raise AssertionError(f"the banner did not settle in {timeout} ms; the page's log: {log}") from exc
        else:
            state = by_testid(page, "status-banner").get_attribute("data-state")
            if state == "ok" or not _network_changed(log) or attempt == 2:
                return state
        log[:] = [line for line in log if "ERR_NETWORK_CHANGED" not in line]
        if hasattr(page, "watch"):
            page.watch.forget_aborted_load()
        page.reload()
    return state


def _network_changed(log):
    return any("ERR_NETWORK_CHANGED" in line for line in log)


def check_states(page):
    """{check id: data-ok} for the six checks ("true", "false", or None when not checked)."""
    return {cid: by_testid(page, f"check-{cid}").get_attribute("data-ok") for cid in CHECK_IDS}


ALL_OK = {cid: "true" for cid in CHECK_IDS}
