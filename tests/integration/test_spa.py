"""nginx serves the built SPA: shell, client-route fallback, assets, caching, headers."""

import gzip
import re

import pytest

from support.rawhttp import request

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def asset_paths(html):
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


def test_root_serves_the_spa_shell(stack):
    response = request(stack.port, "/")
    assert response.status == 200
    assert response.header("Content-Type").startswith("text/html")
    assert '<div id="app">' in response.text
    assert asset_paths(response.text), "index.html links no hashed asset"


@pytest.mark.parametrize("path", ["/about", "/no/such/client/route", "/about?tab=1"])
def test_client_routes_fall_back_to_index_html(stack, path):
    index = request(stack.port, "/").body
    response = request(stack.port, path)
    assert (response.status, response.body) == (200, index)


def test_index_html_is_never_cached(stack):
    for path in ("/", "/index.html", "/about"):
        assert request(stack.port, path).header("Cache-Control") == "no-cache", path


def test_hashed_assets_are_cached_for_a_year(stack):
    for path in asset_paths(request(stack.port, "/").text):
        response = request(stack.port, path)
        assert response.status == 200, path
        assert response.header("Cache-Control") == "max-age=31536000, immutable"


def test_missing_asset_is_a_404_not_html(stack):
    response = request(stack.port, "/assets/index-doesnotexist.js")
    assert response.status == 404
    assert '<div id="app">' not in response.text
    assert response.header("Cache-Control") == "no-store"


def test_text_assets_are_gzip_compressed(stack):
    js = next(p for p in asset_paths(request(stack.port, "/").text) if p.endswith(".js"))
    plain = request(stack.port, js)
    packed = request(stack.port, js, headers={"Accept-Encoding": "gzip"})
    assert packed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body)
    assert "Accept-Encoding" in packed.header("Vary")


@pytest.mark.parametrize("path", ["/", "/about", "/assets/missing.js", "/api/result", "/api/nope"])
def test_security_headers_on_every_response(stack, path):
    response = request(stack.port, path)
    for name, value in SECURITY_HEADERS.items():
        assert response.header(name) == value, (path, name)
    csp = response.header("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.header("Server") == "nginx", "server_tokens must hide the version"


def test_csp_allows_what_the_spa_loads(stack):
    # No inline script or style in the shell: the CSP has no 'unsafe-inline'.
    html = request(stack.port, "/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in index.html"
    assert "<style" not in html and "style=" not in html
