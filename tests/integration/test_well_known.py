"""The SPA's index.html fallback covers client routes only: the files crawlers, browsers and
tools ask for are served when the build ships them and are a real 404 otherwise."""

import re
import urllib.robotparser

import pytest

from stack import spa
from support.rawhttp import request

SHIPPED = {
    "/robots.txt": "text/plain",
    "/favicon.ico": "image/x-icon",
    "/favicon.svg": "image/svg+xml",
}
NOT_SHIPPED = [
    "/sitemap.xml",
    "/manifest.webmanifest",
    "/site.webmanifest",
    "/apple-touch-icon.png",
    "/browserconfig.xml",
    "/ads.txt",
    "/humans.txt",
    "/.well-known/security.txt",
    "/.well-known/change-password",
    "/.well-known/acme-challenge/token",
    "/.well-known/",
    "/about.html",
    "/deep/path/app.js.map",
    "/.env",
]
CLIENT_ROUTES = ["/about", "/no/such/client/route", "/about?tab=1", "/users/42", "/v1.2/page", "/about/"]


@pytest.fixture(scope="module")
def index(stack):
    return request(stack.port, "/").body


@pytest.mark.parametrize("path, content_type", SHIPPED.items())
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_shipped_files_are_served_as_themselves(stack, index, path, content_type, method):
    response = request(stack.port, path, method=method)
    assert response.status == 200
    assert response.header("Content-Type") == content_type
    if method == "GET":
        assert response.body == (spa.DIST / path.lstrip("/")).read_bytes() != index


@pytest.mark.parametrize("path", NOT_SHIPPED)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_files_the_build_does_not_ship_are_a_real_404(stack, index, path, method):
    response = request(stack.port, path, method=method)
    assert response.status == 404
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.body != index
    if method == "GET":
        assert response.text == "404 Not Found: There is no file at this path.\n"


@pytest.mark.parametrize("path", CLIENT_ROUTES)
def test_client_routes_still_get_index_html(stack, index, path):
    response = request(stack.port, path)
    assert (response.status, response.body) == (200, index)
    assert response.header("Content-Type") == "text/html"


def test_every_file_at_the_root_of_the_build_is_served(stack):
    served = [p.name for p in spa.DIST.iterdir() if p.is_file() and not p.name.endswith(".gz")]
    assert {"robots.txt", "favicon.ico", "index.html"} <= set(served)
    for name in served:
        assert request(stack.port, f"/{name}").status == 200, name


def test_robots_txt_is_a_valid_robots_file_that_allows_everything(stack):
    text = request(stack.port, "/robots.txt").text
    rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    # RFC 9309: a group starts with user-agent lines, then allow/disallow rules.
    assert rules and all(re.fullmatch(r"(User-agent|Allow|Disallow|Sitemap): *\S+", r) for r in rules), rules
    assert rules[0] == "User-agent: *"
    assert any(line.startswith("#") and "frontend/public/robots.txt" in line for line in text.splitlines())
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.splitlines())
    for path in ("/", "/about", "/api/whoami", "/assets/x.js"):
        assert parser.can_fetch("ExampleBot", f"http://localhost{path}"), path


def test_favicon_ico_is_an_icon(stack):
    body = request(stack.port, "/favicon.ico").body
    # ICONDIR: reserved 0, type 1 (icon), then at least one image.
    assert body[:4] == b"\x00\x00\x01\x00" and int.from_bytes(body[4:6], "little") >= 1
