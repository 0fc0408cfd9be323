"""`make dev` over HTTP: through nginx the SPA comes from Vite (HMR WebSocket included) under
production's headers and API; Vite's own port serves the API through its proxy to nginx."""

import base64
import hashlib
import json
import os
import re
import socket

import pytest

from support.rawhttp import request

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def test_page_through_nginx_is_served_by_vite(dev_stack):
    page = request(dev_stack.port, "/")
    assert page.status == 200
    assert '<script type="module" src="/@vite/client"></script>' in page.text
    assert '<script type="module" src="/src/main.ts' in page.text


@pytest.mark.parametrize("path", ["/about", "/no/such/route"])
def test_client_routes_get_the_page_from_vite(dev_stack, path):
    page = request(dev_stack.port, path)
    assert page.status == 200
    assert "/@vite/client" in page.text


@pytest.mark.parametrize("path", ["/@vite/client", "/src/main.ts", "/src/App.vue"])
def test_vite_paths_pass_through_nginx(dev_stack, path):
    answer = request(dev_stack.port, path)
    assert answer.status == 200
    assert "javascript" in answer.header("Content-Type")


def test_security_headers_stay_and_only_style_src_is_relaxed(dev_stack):
    headers = request(dev_stack.port, "/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline';" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self';" in csp


def vite_ws_token(port):
    """The token Vite's client sends with its WebSocket (Vite refuses browser sockets without)."""
    client = request(port, "/@vite/client").text
    return re.search(r'const wsToken = "([^"]+)"', client).group(1)


def websocket_handshake(port, path, origin=None):
    """Open a WebSocket with Vite's HMR protocol by hand; return (status line, headers, socket)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: localhost:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: vite-hmr",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    head, _, rest = head.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
    expected_accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    return status, headers, sock, rest, expected_accept


def read_text_frame(sock, buffered=b""):
    """One unmasked text frame from the server (short payloads only)."""
    data = buffered
    while len(data) < 2 or len(data) < 2 + (data[1] & 0x7F):
        data += sock.recv(4096)
    assert data[0] == 0x81, "expected a final text frame"
    length = data[1] & 0x7F
    assert length < 126
    return data[2 : 2 + length].decode()


def test_hmr_websocket_upgrades_through_nginx(dev_stack):
    port = dev_stack.port
    status, headers, sock, rest, accept = websocket_handshake(
        port, f"/?token={vite_ws_token(port)}", origin=f"http://localhost:{port}"
    )
    with sock:
        assert status == "HTTP/1.1 101 Switching Protocols"
        assert headers["upgrade"].lower() == "websocket"
        assert headers["sec-websocket-accept"] == accept
        assert headers["sec-websocket-protocol"] == "vite-hmr"
        # Vite greets each client: the tunnel carries frames both ways from here.
        assert json.loads(read_text_frame(sock, rest)) == {"type": "connected"}


def test_vite_still_refuses_a_browser_socket_without_its_token(dev_stack):
    status, _, sock, _, _ = websocket_handshake(dev_stack.port, "/", origin="http://evil.example")
    sock.close()
    assert " 101 " not in status


def test_api_through_nginx_redirects_to_the_public_url(dev_stack):
    answer = request(dev_stack.port, "/api/")
    assert answer.status == 302
    assert answer.header("Location") == f"http://localhost:{dev_stack.port}/api/result"
    result = request(dev_stack.port, "/api/result")
    assert result.json()["url"] == f"http://localhost:{dev_stack.port}/api/result"


def test_api_errors_are_still_nginx_json_in_dev_mode(dev_stack):
    answer = request(dev_stack.port, "/api/result", headers={"Content-Length": "x"})
    assert answer.status == 400
    assert answer.header("Content-Type") == "application/json"


def test_vite_port_serves_the_api_through_nginx(dev_stack):
    vite = dev_stack.vite_port
    answer = request(vite, "/api/")
    assert answer.status == 302
    assert answer.header("Location") == f"http://localhost:{vite}/api/result"
    assert request(vite, "/api/whoami").json()["port"] == vite
    # nginx's own redirect, relative as in production.
    slashless = request(vite, "/api")
    assert (slashless.status, slashless.header("Location")) == (301, "/api/")


def test_vite_port_leaves_paths_that_only_start_like_the_prefix_to_the_spa(dev_stack):
    answer = request(dev_stack.vite_port, "/apiary")
    assert answer.status == 200
    assert "/@vite/client" in answer.text
