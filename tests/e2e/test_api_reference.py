"""The API reference page (/reference) in Chromium: the description the stack serves, rendered
under the site's strict CSP."""

import json
import urllib.request

from e2e.pages import by_testid, text

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Every Content-Security-Policy violation on the page, as the browser reports it to the page.
RECORD_VIOLATIONS = """
window.__violations = []
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(`${event.violatedDirective}: ${event.blockedURI || 'inline'}`)
})
"""


def served_operations(stack):
    """The operationIds of the description the stack serves, in the order it lists them."""
    with urllib.request.urlopen(stack.url + "/api/openapi.json", timeout=10) as answer:
        description = json.load(answer)
    return [op["operationId"] for item in description["paths"].values() for m, op in item.items() if m in METHODS]


def open_reference(page, stack):
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(stack.url + "/reference")
    assert "style-src 'self'" in response.headers["content-security-policy"]  # the policy under test
    page.wait_for_selector('[data-testid="reference-operation"]')
    page.wait_for_load_state("networkidle")


def test_reference_page_renders_every_operation_with_the_public_server_url(page, stack):
    open_reference(page, stack)

    operations = by_testid(page, "reference-operation")
    rendered = [operations.nth(i).get_attribute("data-operation-id") for i in range(operations.count())]
    assert rendered == served_operations(stack)
    assert text(page, "reference-server") == stack.url + "/api"
    whoami = page.locator('[data-operation-id="whoAmI"]')
    assert "/whoami" in whoami.inner_text() and "application/json: WhoAmI" in whoami.inner_text()
    assert page.title() == "API reference · URL check"

    assert page.evaluate("window.__violations") == []
    page.watch.assert_clean()
    assert page.watch.log == []  # not even a warning


def test_a_style_the_csp_refuses_is_seen_as_a_violation(page, stack):
    # What the previous test relies on: an inline style on this page is reported to it.
    open_reference(page, stack)
    page.watch.expect("Content Security Policy")
    page.evaluate("""() => {
        const style = document.createElement('style')
        style.textContent = 'body { background: red }'
        document.head.append(style)
    }""")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__violations") == ["style-src-elem: inline"]
