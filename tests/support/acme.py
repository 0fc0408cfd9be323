"""A real ACME flow on loopback: Pebble (Let's Encrypt's test CA) and the shipped caddy/Caddyfile.

Pebble accepts every challenge without connecting (PEBBLE_VA_ALWAYS_VALID), since DOMAIN
resolves nowhere here. Caddy runs from caddy/run.sh exactly as in production, with ACME_CA
pointed at Pebble, and listens on free high ports; socat forwards 80 and 443 of a loopback
address of its own (127.x.y.z) to them, as Docker's published ports do, so a client sees
http://DOMAIN/ and https://DOMAIN/ on the default ports.
"""

import json
import random
import socket
import ssl
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from stack.env import ROOT
from stack.native import free_port

from .processes import port_forwarder, running, wait_for_port
from .tls_proxies import make_certificate

DOMAIN = "app.example.com"
EMAIL = "ops@example.com"
CERT_TIMEOUT = 60


@dataclass
class Pebble:
    directory: str  # the ACME directory URL
    listener_ca: Path  # what Caddy must trust to talk to Pebble itself
    root: Path  # Pebble's issuing root: what a client must trust to accept the site


@contextmanager
def pebble(folder, listen="127.0.0.1", port=None):
    """Pebble with its ACME listener on listen:port (default: a free port) and its management
    port (which serves the issuing root, saved as root.pem) on loopback. Its own certificate
    is folder/cert.pem, made unless it exists."""
    folder.mkdir(parents=True, exist_ok=True)
    listener_ca = folder / "cert.pem"
    if not listener_ca.exists():
        make_certificate(folder, addresses=sorted({"127.0.0.1", listen}))
    port, management = port or free_port(), free_port()
    config = {
        "pebble": {
            "listenAddress": f"{listen}:{port}",
            "managementListenAddress": f"127.0.0.1:{management}",
            "certificate": str(folder / "cert.pem"),
            "privateKey": str(folder / "key.pem"),
            # Challenge ports: never used, validation is short-circuited.
            "httpPort": free_port(),
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (folder / "pebble.json").write_text(json.dumps(config))
    env = {
        "PATH": "/usr/bin:/bin",
        "PEBBLE_VA_ALWAYS_VALID": "1",
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": "0",
    }
    with running(
        ["pebble", "-config", str(folder / "pebble.json")], port=management, env=env, log=folder / "pebble.log"
    ):
        if listen == "127.0.0.1":
            wait_for_port(port)  # elsewhere the client (a container) waits and retries
        context = ssl.create_default_context(cafile=str(listener_ca))
        # A new root on every start: only this run's certificates chain to it.
        with urllib.request.urlopen(f"https://127.0.0.1:{management}/roots/0", context=context, timeout=10) as answer:
            (folder / "root.pem").write_bytes(answer.read())
        yield Pebble(f"https://{listen}:{port}/dir", listener_ca, folder / "root.pem")


def public_address():
    """A loopback address of our own (127.x.y.z) whose ports 80 and 443 are free."""
    for _ in range(20):
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
        try:
            for port in (80, 443):
                with socket.socket() as sock:
                    sock.bind((address, port))
            return address
        except OSError:
            continue
    raise RuntimeError("no loopback address with ports 80 and 443 free (binding them needs root)")


@dataclass
class Edge:
    address: str  # where DOMAIN "resolves": 80 and 443 there reach Caddy
    pebble: Pebble
    seconds_to_certificate: float
    log: Path

    def tls_context(self, alpn=("h2", "http/1.1")):
        context = ssl.create_default_context(cafile=str(self.pebble.root))
        context.set_alpn_protocols(list(alpn))
        return context


def handshake(address, context, timeout=5):
    """A TLS handshake with DOMAIN's name on address:443: (peer certificate, ALPN protocol)."""
    with socket.create_connection((address, 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            return tls.getpeercert(), tls.selected_alpn_protocol()


@contextmanager
def caddy_edge(folder, ca, upstream_port):
    """caddy/run.sh in front of nginx on upstream_port, with a certificate for DOMAIN from
    `ca`; waits (bounded) until the certificate is served and measures how long that took."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        # Go's TLS reads extra roots from here: Caddy trusts Pebble's own listener.
        "SSL_CERT_FILE": str(ca.listener_ca),
        "DOMAIN": DOMAIN,
        "ACME_EMAIL": EMAIL,
        "ACME_CA": ca.directory,
        "CADDY_UPSTREAM": f"127.0.0.1:{upstream_port}",
        "CADDY_HTTP_PORT": str(http_port),
        "CADDY_HTTPS_PORT": str(https_port),
    }
    address = public_address()
    log = folder / "caddy.log"
    with ExitStack() as stack:
        started = time.monotonic()
        stack.enter_context(running(["sh", str(ROOT / "caddy" / "run.sh")], port=https_port, env=env, log=log))
        stack.enter_context(port_forwarder(80, http_port, address=address))
        stack.enter_context(port_forwarder(443, https_port, address=address))
        context = ssl.create_default_context(cafile=str(ca.root))
        deadline = started + CERT_TIMEOUT
        while True:
            try:
                handshake(address, context)
                break
            except (ssl.SSLError, OSError):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Caddy served no certificate from Pebble within {CERT_TIMEOUT} s; see {log}"
                    ) from None
                time.sleep(0.1)
        yield Edge(address, ca, time.monotonic() - started, log)
