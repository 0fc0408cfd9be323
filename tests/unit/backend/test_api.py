"""Routes through Flask's test client, mounted under /api as gunicorn's SCRIPT_NAME does."""

import pytest

PROXY_HEADERS = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "public.example:8443",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/api",
}


def get(client, path, **kwargs):
    return client.get(path, environ_overrides={"SCRIPT_NAME": "/api"}, **kwargs)


def test_index_redirects_to_absolute_result_url(client):
    response = get(client, "/", headers={"Host": "localhost:8000"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost:8000/api/result"


def test_index_redirect_follows_forwarded_headers(client):
    response = get(client, "/", headers=PROXY_HEADERS)
    assert response.headers["Location"] == "https://public.example:8443/api/result"


def test_default_port_is_left_out(client):
    headers = dict(PROXY_HEADERS, **{"X-Forwarded-Host": "public.example:443", "X-Forwarded-Port": "443"})
    assert get(client, "/", headers=headers).headers["Location"] == "https://public.example/api/result"


def test_forwarded_prefix_replaces_script_name(client):
    headers = dict(PROXY_HEADERS, **{"X-Forwarded-Prefix": "/tenant/api"})
    assert get(client, "/", headers=headers).headers["Location"] == "https://public.example:8443/tenant/api/result"


def test_proxyfix_believes_one_hop_only(client):
    headers = dict(PROXY_HEADERS, **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    assert get(client, "/whoami", headers=headers).json["remote_addr"] == "203.0.113.9"


def test_without_hops_forwarded_headers_are_ignored(make_app):
    client = make_app(FORWARDED_HOPS="0").test_client()
    response = get(client, "/", headers=dict(PROXY_HEADERS, Host="localhost:8000"))
    assert response.headers["Location"] == "http://localhost:8000/api/result"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_result_answers_json(client, method):
    response = client.open(
        "/result", method=method, environ_overrides={"SCRIPT_NAME": "/api"}, headers={"Host": "localhost:8000"}
    )
    assert response.status_code == 200
    assert response.json == {
        "message": "You followed the redirect and reached the result.",
        "method": method,
        "url": "http://localhost:8000/api/result",
    }


def test_whoami_describes_the_request(client):
    response = get(client, "/whoami", headers=PROXY_HEADERS)
    assert response.json == {
        "remote_addr": "203.0.113.9",
        "scheme": "https",
        "host": "public.example:8443",
        "port": 8443,
        "script_root": "/api",
        "url_root": "https://public.example:8443/api/",
        "result_url": "https://public.example:8443/api/result",
        "expected_prefix": "/api",
    }


@pytest.mark.parametrize(
    "host, scheme, port",
    [("localhost", "http", 80), ("public.example:443", "https", 443), ("[::1]:8000", "http", 8000)],
)
def test_whoami_port_is_always_a_number(client, host, scheme, port):
    headers = {"X-Forwarded-Host": host, "X-Forwarded-Proto": scheme}
    assert get(client, "/whoami", headers=headers).json["port"] == port


def test_health(client):
    response = get(client, "/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
