"""The API through nginx: redirects carry the URL the browser used, errors are JSON."""

import pytest

from support.rawhttp import request


def client_address(stack, sent_from):
    """The client address nginx reports: the sender's own; behind Docker's port publishing,
    the address Docker's proxy connects from (the gateway of the stack's network)."""
    published_peer = getattr(stack, "published_peer", None)
    return published_peer() if published_peer else sent_from


def test_redirect_location_is_the_absolute_public_url(stack):
    response = request(stack.port, "/api/")
    assert response.status == 302
    assert response.header("Location") == f"http://localhost:{stack.port}/api/result"


def test_following_the_redirect_reaches_the_result(stack):
    location = request(stack.port, "/api/").header("Location")
    path = location.split(f":{stack.port}", 1)[1]
    response = request(stack.port, path)
    assert response.status == 200
    assert response.json() == {
        "message": "You followed the redirect and reached the result.",
        "method": "GET",
        "url": location,
    }


@pytest.mark.parametrize(
    "host, expected",
    [
        pytest.param("127.0.0.1:{port}", "http://127.0.0.1:{port}/api/result", id="ip-and-port"),
        pytest.param("localhost", "http://localhost/api/result", id="no-port-means-80"),
        pytest.param("localhost:80", "http://localhost/api/result", id="port-80-dropped"),
    ],
)
def test_redirect_uses_the_host_header(stack, host, expected):
    response = request(stack.port, "/api/", host=host.format(port=stack.port))
    assert response.header("Location") == expected.format(port=stack.port)


def test_ipv6_literal_host(stack):
    response = request(stack.port, "/api/", address="::1", host=f"[::1]:{stack.port}")
    assert response.header("Location") == f"http://[::1]:{stack.port}/api/result"
    whoami = request(stack.port, "/api/whoami", address="::1", host=f"[::1]:{stack.port}").json()
    assert (whoami["remote_addr"], whoami["port"]) == (client_address(stack, "::1"), stack.port)


def test_prefix_without_slash_redirects_relative(stack):
    response = request(stack.port, "/api")
    assert response.status == 301
    # Relative: nginx's own redirect never names the port it listens on.
    assert response.header("Location") == "/api/"
    assert request(stack.port, "/api?x=1").header("Location") == "/api/?x=1"


def test_whoami_reports_the_request_as_the_browser_made_it(stack):
    assert request(stack.port, "/api/whoami").json() == {
        "remote_addr": client_address(stack, "127.0.0.1"),
        "scheme": "http",
        "host": f"localhost:{stack.port}",
        "port": stack.port,
        "script_root": "/api",
        "url_root": f"http://localhost:{stack.port}/api/",
        "result_url": f"http://localhost:{stack.port}/api/result",
        "expected_prefix": "/api",
    }


def test_post_to_result(stack):
    response = request(
        stack.port, "/api/result", method="POST", body=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    assert response.json()["method"] == "POST"


@pytest.mark.parametrize(
    "method, path, status, error",
    [
        ("GET", "/api/nope", 404, "Not Found"),
        ("DELETE", "/api/result", 405, "Method Not Allowed"),
        ("GET", "/api/result/", 404, "Not Found"),
    ],
)
def test_api_errors_are_json(stack, method, path, status, error):
    response = request(stack.port, path, method=method)
    assert response.status == status
    assert response.header("Content-Type") == "application/json"
    assert response.json()["error"] == error
    assert response.json()["status"] == status


def test_body_over_the_limit_is_a_json_413_from_nginx(stack):
    response = request(stack.port, "/api/result", method="POST", body=b"x" * (1024 * 1024 + 1))
    assert response.status == 413
    assert response.header("Content-Type") == "application/json"
    assert response.json() == {
        "error": "Payload Too Large",
        "message": "The request body is larger than MAX_BODY_SIZE allows.",
        "status": 413,
    }


def test_health(stack):
    assert request(stack.port, "/api/health").json() == {"status": "ok"}


def test_paths_that_only_normalise_into_the_prefix_are_refused(stack):
    for path in ("/%61pi/result", "/x/../api/result"):
        response = request(stack.port, path)
        assert response.status == 400, path
        assert response.json()["status"] == 400
    # Inside the prefix a dot segment reaches Flask as it is, and matches no route.
    assert request(stack.port, "/api/../api/result").status == 404


def test_lookalike_prefix_is_not_the_api(stack):
    # /apiary is a client route of the SPA, not an API path.
    response = request(stack.port, "/apiary")
    assert response.status == 200
    assert response.header("Content-Type").startswith("text/html")
