"""docs/caching.md's caching table, asserted against the running stack, with httplint (REDbot's
rules) reading every answer: plain and gzip, GET and HEAD, and the 304s of conditional requests.
"""

import gzip
import re

import pytest

from support.lint import problems
from support.rawhttp import request

SECURITY = (
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Content-Security-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
)
GZIP = {"Accept-Encoding": "gzip"}
# What a 304 leaves out of its 200 by RFC 9110 15.4.5: representation metadata only.
NOT_ON_304 = {"Content-Type", "Content-Length", "Accept-Ranges", "Content-Encoding"}
# Differs between any two answers.
PER_ANSWER = {"Date", "X-Request-ID"}

YEAR = "max-age=31536000, immutable"


def asset(stack, suffix):
    html = request(stack.port, "/").text
    return next(p for p in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html) if p.endswith(suffix))


# The table in docs/caching.md, row by row: class, path (or how to find it), status, Cache-Control.
TABLE = [
    pytest.param("/", 200, "no-cache", id="index.html"),
    pytest.param("/about", 200, "no-cache", id="client-route"),
    pytest.param(".js", 200, YEAR, id="hashed-js"),
    pytest.param(".css", 200, YEAR, id="hashed-css"),
    pytest.param("/robots.txt", 200, "no-cache", id="robots.txt"),
    pytest.param("/favicon.ico", 200, "no-cache", id="favicon.ico"),
    pytest.param("/favicon.svg", 200, "no-cache", id="favicon.svg"),
    pytest.param("/missing.png", 404, "no-store", id="missing-file"),
    pytest.param("/api/result", 200, "no-store", id="api-result"),
    pytest.param("/api/whoami", 200, "no-store", id="api-whoami"),
    pytest.param("/api/health", 200, "no-store", id="api-health"),
    pytest.param("/api/", 302, "no-store", id="api-redirect"),
    pytest.param("/api", 301, "no-store", id="api-prefix-redirect"),
    pytest.param("/api/missing", 404, "no-store", id="api-error"),
]
STATIC_200 = [p for p in TABLE if p.values[1] == 200 and not p.values[0].startswith("/api")]


def resolve(stack, path):
    return asset(stack, path) if path.startswith(".") else path


@pytest.mark.parametrize("path, status, cache_control", TABLE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("encoding", [{}, GZIP], ids=["identity", "gzip"])
def test_each_class_has_its_cache_control_and_no_linter_warning(stack, path, status, cache_control, method, encoding):
    path = resolve(stack, path)
    response = request(stack.port, path, method=method, headers=encoding)
    assert response.status == status
    assert response.headers.get_all("Cache-Control") == [cache_control]
    assert problems(response, method=method, path=path, request_headers=encoding) == []


@pytest.mark.parametrize("path, status, cache_control", STATIC_200)
@pytest.mark.parametrize("encoding", [{}, GZIP], ids=["identity", "gzip"])
@pytest.mark.parametrize("validator", ["If-None-Match", "If-Modified-Since"])
def test_a_304_keeps_every_header_of_its_200(stack, path, status, cache_control, encoding, validator):
    path = resolve(stack, path)
    full = request(stack.port, path, headers=encoding)
    condition = {validator: full.header("ETag" if validator == "If-None-Match" else "Last-Modified")}
    headers = {**encoding, **condition}
    short = request(stack.port, path, headers=headers)
    assert short.status == 304 and short.body == b""
    assert problems(short, path=path, request_headers=headers) == []

    names = set(full.headers.keys())
    assert names - set(short.headers.keys()) <= NOT_ON_304
    for name in names - NOT_ON_304 - PER_ANSWER:
        assert short.headers.get_all(name) == full.headers.get_all(name), name
    for name in ("Vary", "Cache-Control", "ETag", *SECURITY):
        assert short.headers.get_all(name), f"{name} missing on the 304"


@pytest.mark.parametrize("path, status, cache_control", STATIC_200)
def test_files_carry_exactly_one_vary_on_200_head_and_304(stack, path, status, cache_control):
    path = resolve(stack, path)
    for encoding in ({}, GZIP):
        full = request(stack.port, path, headers=encoding)
        head = request(stack.port, path, method="HEAD", headers=encoding)
        short = request(stack.port, path, headers={**encoding, "If-None-Match": full.header("ETag")})
        for response in (full, head, short):
            assert response.headers.get_all("Vary") == ["Accept-Encoding"], (path, response.status)


@pytest.mark.parametrize("path", ["/", ".js", ".css"])
def test_gzip_both_ways_with_a_strong_etag_for_each(stack, path):
    path = resolve(stack, path)
    plain = request(stack.port, path)
    packed = request(stack.port, path, headers=GZIP)
    assert plain.header("Content-Encoding") is None
    assert packed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    # Strong (no W/), and one per encoding: the gzip answer is another representation.
    assert not plain.header("ETag").startswith("W/") and not packed.header("ETag").startswith("W/")
    assert plain.header("ETag") != packed.header("ETag")
    # The identity ETag does not validate the gzip representation.
    assert request(stack.port, path, headers={**GZIP, "If-None-Match": plain.header("ETag")}).status == 200
    assert request(stack.port, path, headers={**GZIP, "If-None-Match": packed.header("ETag")}).status == 304


def test_client_routes_share_index_htmls_validator(stack):
    index = request(stack.port, "/")
    route = request(stack.port, "/about", headers={"If-None-Match": index.header("ETag")})
    assert route.status == 304
    assert route.header("Cache-Control") == "no-cache"


@pytest.mark.parametrize("path", ["/api/result", "/api/whoami", "/api/health"])
def test_api_answers_carry_no_validator_and_one_cache_control(stack, path):
    response = request(stack.port, path, headers=GZIP)
    assert response.header("ETag") is None and response.header("Last-Modified") is None
    # Flask's no-store, and no second Cache-Control or Vary from nginx.
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert response.headers.get_all("Vary") is None
