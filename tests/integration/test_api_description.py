"""<prefix>/openapi.json through real nginx: the description the API serves names the public API
root as the browser used it, and caches may keep it only to revalidate it. Behind socat's port
mapping, the TLS fronts and a forged X-Forwarded-Host: test_port_mapping.py,
test_tls_proxies.py and test_forwarded_headers.py."""

import gzip

import pytest

from app import openapi
from support.rawhttp import request


def servers(response):
    assert response.status == 200, response.text
    assert response.header("Content-Type") == "application/json"
    return [server["url"] for server in response.json()["servers"]]


@pytest.fixture(scope="module")
def renamed(start_stack):
    """A stack whose API lives under /v1 instead of /api."""
    return start_stack(API_PREFIX="/v1")


def test_served_description_names_the_public_api_root(stack):
    response = request(stack.port, "/api/openapi.json")
    assert servers(response) == [f"http://localhost:{stack.port}/api"]
    assert response.json()["paths"] == openapi.load()["paths"]


def test_under_a_renamed_prefix_the_description_names_it(renamed):
    response = request(renamed.port, "/v1/openapi.json")
    assert servers(response) == [f"http://localhost:{renamed.port}/v1"]
    assert request(renamed.port, "/api/openapi.json").status != 200


def test_served_description_is_revalidated_not_stored(stack):
    first = request(stack.port, "/api/openapi.json")
    assert first.header("Cache-Control") == "no-cache"
    # Flask's Vary (what the body depends on besides the URL) and gzip's, side by side.
    vary = ", ".join(first.headers.get_all("Vary"))
    assert {"X-Forwarded-Host", "X-Forwarded-Prefix", "Accept-Encoding"} <= set(vary.split(", "))
    again = request(stack.port, "/api/openapi.json", headers={"If-None-Match": first.header("ETag")})
    assert (again.status, again.body) == (304, b"")
    assert again.header("ETag") == first.header("ETag")


def test_gzipped_description_is_revalidated_with_its_weak_etag(stack):
    # nginx gzips it and weakens the ETag (the bytes differ); the weak one still gets a 304.
    zipped = request(stack.port, "/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert zipped.header("Content-Encoding") == "gzip"
    assert zipped.header("ETag").startswith('W/"')
    assert gzip.decompress(zipped.body).startswith(b"{")
    again = request(
        stack.port, "/api/openapi.json", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.header("ETag")}
    )
    assert again.status == 304


def test_another_host_gets_another_body_and_etag(stack):
    first = request(stack.port, "/api/openapi.json")
    other = request(
        stack.port, "/api/openapi.json", host=f"127.0.0.1:{stack.port}", headers={"If-None-Match": first.header("ETag")}
    )
    assert servers(other) == [f"http://127.0.0.1:{stack.port}/api"]
    assert other.header("ETag") != first.header("ETag")
