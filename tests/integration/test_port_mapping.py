"""Docker publishes 8000 -> 80 with a TCP forwarder; the public port must survive it.

socat plays Docker's userland proxy: the browser talks to the public port, nginx listens on
another one, and only the Host header still knows the public port.
"""

from stack.native import free_port
from support.processes import port_forwarder
from support.rawhttp import request


def test_redirect_keeps_public_port_behind_port_mapping(stack):
    public = free_port()
    assert public != stack.port
    with port_forwarder(public, stack.port):
        response = request(public, "/api/")
        whoami = request(public, "/api/whoami").json()
        slash = request(public, "/api")
        description = request(public, "/api/openapi.json").json()
    assert description["servers"] == [{"url": f"http://localhost:{public}/api"}]
    assert response.header("Location") == f"http://localhost:{public}/api/result"
    assert whoami["port"] == public
    assert whoami["result_url"] == f"http://localhost:{public}/api/result"
    assert slash.header("Location") == "/api/"


def test_spa_loads_through_the_port_mapping(stack):
    public = free_port()
    with port_forwarder(public, stack.port):
        response = request(public, "/about")
    assert response.status == 200
    assert '<div id="app">' in response.text
