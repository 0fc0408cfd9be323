"""Real TLS front proxies (Caddy, HAProxy) in front of nginx, trusted by address.

The client talks https to the front as https://public.example:<port>/ from 127.0.0.5; the
front talks to nginx from 127.0.0.1, which is in TRUSTED_PROXIES.
"""

import json
import time

import pytest

from stack.native import free_port
from support.rawhttp import request
from support.tls_proxies import CLIENT, FORGED_BY_THE_CLIENT, FRONTS, PUBLIC_HOST


@pytest.fixture(scope="module")
def trusted_stack(start_stack):
    """A stack that trusts the fronts' address (127.0.0.1) and nothing else."""
    return start_stack(TRUSTED_PROXIES="127.0.0.1")


@pytest.fixture(params=sorted(FRONTS))
def front(request, trusted_stack, tmp_path):
    """(port, https request function) of a running front proxy."""
    port = free_port()
    with FRONTS[request.param](tmp_path, port, trusted_stack.port):
        yield port, _client(tmp_path, port)


def _client(folder, port):
    def send(path, host=None, **kwargs):
        return request(
            port,
            path,
            host=host or f"{PUBLIC_HOST}:{port}",
            source=CLIENT,
            tls=(folder / "cert.pem", PUBLIC_HOST),
            **kwargs,
        )

    return send


def test_redirect_is_the_https_url_the_browser_used(front):
    port, send = front
    response = send("/api/")
    assert response.status == 302
    assert response.header("Location") == f"https://{PUBLIC_HOST}:{port}/api/result"


def test_whoami_sees_the_real_client_and_scheme(front):
    port, send = front
    whoami = send("/api/whoami").json()
    assert whoami["remote_addr"] == CLIENT
    assert whoami["scheme"] == "https"
    assert whoami["port"] == port
    assert whoami["result_url"] == f"https://{PUBLIC_HOST}:{port}/api/result"


def test_description_names_the_https_api_root(front):
    port, send = front
    assert send("/api/openapi.json").json()["servers"] == [{"url": f"https://{PUBLIC_HOST}:{port}/api"}]


def test_client_headers_cannot_pass_through_the_front(front):
    port, send = front
    forged = FORGED_BY_THE_CLIENT
    description = send("/api/openapi.json", headers=forged).json()
    assert description["servers"] == [{"url": f"https://{PUBLIC_HOST}:{port}/api"}]
    assert send("/api/", headers=forged).header("Location") == f"https://{PUBLIC_HOST}:{port}/api/result"
    assert send("/api/whoami", headers=forged).json()["remote_addr"] == CLIENT


def test_spa_and_nginx_redirect_through_the_front(front):
    _, send = front
    assert send("/about").status == 200
    assert send("/api").header("Location") == "/api/"


def test_caddy_host_with_port_and_no_forwarded_port(trusted_stack, tmp_path):
    # Caddy sends X-Forwarded-Host: public.example:443 and no X-Forwarded-Port.
    port = free_port()
    with FRONTS["caddy"](tmp_path, port, trusted_stack.port):
        send = _client(tmp_path, port)
        assert send("/api/", host=f"{PUBLIC_HOST}:443").header("Location") == f"https://{PUBLIC_HOST}/api/result"


def test_default_https_port_is_left_out(trusted_stack, tmp_path):
    # HAProxy as a load balancer on 443: the browser sends Host without a port.
    port = free_port()
    with FRONTS["haproxy"](tmp_path, port, trusted_stack.port, forwarded_port="443"):
        send = _client(tmp_path, port)
        assert send("/api/", host=PUBLIC_HOST).header("Location") == f"https://{PUBLIC_HOST}/api/result"


@pytest.mark.parametrize("name", sorted(FRONTS))
def test_forwarded_prefix_composes_in_front_of_the_api_prefix(trusted_stack, tmp_path, name):
    port = free_port()
    with FRONTS[name](tmp_path, port, trusted_stack.port, prefix="/tenant"):
        send = _client(tmp_path, port)
        response = send("/tenant/api/")
        whoami = send("/tenant/api/whoami").json()
    assert response.header("Location") == f"https://{PUBLIC_HOST}:{port}/tenant/api/result"
    assert whoami["script_root"] == "/tenant/api"


def test_caddys_request_id_is_in_every_hops_line(start_stack, tmp_path):
    # Caddy's own id for each request (docs/headers.md): kept by nginx, which trusts Caddy, and
    # found in Caddy's, nginx's, gunicorn's and the app's JSON lines; the client's is never kept.
    stack = start_stack(TRUSTED_PROXIES="127.0.0.1", LOG_FORMAT="json", GUNICORN_ACCESS_LOG="1")
    port = free_port()
    with FRONTS["caddy"](tmp_path, port, stack.port, request_id=True):
        response = _client(tmp_path, port)("/api/", headers={"X-Request-ID": "forged-id"})
    request_id = response.header("X-Request-ID")
    assert response.status == 302 and request_id not in (None, "forged-id")

    def lines(path):
        return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]

    deadline = time.monotonic() + 10
    while request_id not in stack.log_path("gunicorn").read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    caddy = [line for line in lines(tmp_path / "caddy.log") if line["resp_headers"].get("X-Request-Id") == [request_id]]
    nginx = [line for line in lines(stack.run_dir / "access.log") if line["request_id"] == request_id]
    gunicorn = [line for line in lines(stack.log_path("gunicorn")) if line["request_id"] == request_id]
    assert [(line["request"]["uri"], line["status"]) for line in caddy] == [("/api/", 302)]
    assert [(line["path"], line["status"], line["scheme"], line["client"]) for line in nginx] == [
        ("/api/", 302, "https", CLIENT)
    ]
    assert [(line["logger"], line.get("message")) for line in gunicorn] == [
        ("app", f"redirect to {response.header('Location')}"),
        ("gunicorn.access", None),
    ]
    assert "forged-id" not in (stack.run_dir / "access.log").read_text() + stack.log_path("gunicorn").read_text()
