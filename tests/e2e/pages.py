"""Reading the home page the way a person would: the banner, the facts, the six checks."""

CHECK_IDS = ("scheme", "host", "port", "prefix", "redirect", "url_for")
RESULT_MESSAGE = "You followed the redirect and reached the result."
SETTLE_MS = 10_000


def by_testid(page, testid):
    return page.get_by_test_id(testid)


def text(page, testid):
    return by_testid(page, testid).inner_text().strip()


def settled_state(page, timeout=SETTLE_MS):
    """Wait (bounded) until the banner leaves "loading", then return its data-state."""
    page.wait_for_selector('[data-testid="status-banner"]:not([data-state="loading"])', timeout=timeout)
    return by_testid(page, "status-banner").get_attribute("data-state")


def check_states(page):
    """{check id: data-ok} for the six checks ("true", "false", or None when not checked)."""
    return {cid: by_testid(page, f"check-{cid}").get_attribute("data-ok") for cid in CHECK_IDS}


ALL_OK = {cid: "true" for cid in CHECK_IDS}
