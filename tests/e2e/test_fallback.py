"""In Chromium: index.html's fallback still renders the NotFound view for unknown client routes,
while a file the build does not ship is nginx's plain-text 404, not the SPA."""

import pytest
from e2e.pages import by_testid, text


@pytest.mark.parametrize("path", ["/no/such/route", "/v1.2/page", "/apiary", "/users/42/"])
def test_an_unknown_client_route_renders_the_not_found_view(page, stack, path):
    response = page.goto(stack.url + path)
    assert response.status == 200  # index.html; the route is vue-router's to judge
    by_testid(page, "notfound-view").wait_for()
    assert text(page, "notfound-path") == path
    assert page.title() == "Page not found · URL check"
    page.watch.assert_clean()


@pytest.mark.parametrize("path", ["/sitemap.xml", "/manifest.webmanifest", "/.well-known/security.txt"])
def test_a_missing_file_is_a_plain_404_without_the_spa(page, stack, path):
    page.watch.expect(r"/(sitemap\.xml|manifest\.webmanifest|\.well-known/security\.txt)$")
    response = page.goto(stack.url + path)
    assert response.status == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert page.locator("body").inner_text().strip() == "404 Not Found: There is no file at this path."
    assert page.locator("#app").count() == 0


def test_the_browser_gets_the_shipped_favicon(page, stack):
    page.goto(stack.url + "/")
    by_testid(page, "home-view").wait_for()
    icon = page.request.get(stack.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    page.watch.assert_clean()
