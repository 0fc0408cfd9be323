"""A real ACME flow on loopback: Pebble (Let's Encrypt's test CA), lego and nginx as `make https`
runs them natively (stack/tls_edge.py: acme/lego.sh and nginx/tls-watch.sh under the stack's
supervisord).

Pebble accepts every challenge without connecting (PEBBLE_VA_ALWAYS_VALID), since DOMAIN
resolves nowhere here. nginx listens on free high ports (HTTPS_PORT and HTTP_REDIRECT_PORT);
socat forwards 80 and 443 of a loopback address of its own (127.x.y.z) to them, as Docker's
published ports do, so a client sees http://DOMAIN/ and https://DOMAIN/ on the default ports.
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

from stack import https
from stack.native import free_port
from stack.tls_edge import HttpsStack

from .processes import port_forwarder, running, wait_for_port
from .stacks import stack_settings
from .tls_proxies import make_certificate

DOMAIN = "app.example.com"
EMAIL = "ops@example.com"
CERT_TIMEOUT = 60


@dataclass
class Pebble:
    directory: str  # the ACME directory URL
    listener_ca: Path  # what the ACME client must trust to talk to Pebble itself
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
    address: str  # where DOMAIN "resolves": 80 and 443 there reach nginx
    pebble: Pebble
    seconds_to_certificate: float
    stack: object  # the HttpsStack
    log: Path  # the ACME client's

    def tls_context(self, alpn=("h2", "http/1.1")):
        context = ssl.create_default_context(cafile=str(self.pebble.root))
        context.set_alpn_protocols(list(alpn))
        return context


def handshake(address, context, timeout=5):
    """A TLS handshake with DOMAIN's name on address:443: (peer certificate, ALPN protocol)."""
    with socket.create_connection((address, 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            return tls.getpeercert(), tls.selected_alpn_protocol()


def served_certificate(address, port=443):
    """The certificate served for DOMAIN on address:port, in DER, unverified."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only read here; the tests verify it with Pebble's root
    with socket.create_connection((address, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            return tls.getpeercert(binary_form=True)


class AcmeStack(HttpsStack):
    """make https's native stack, its ACME client trusting Pebble's own listener. nginx listens
    on the free HTTPS_PORT, and the public https port is 443 (as socat publishes it, Docker's
    way): what the redirect from http names."""

    def __init__(self, settings, name, ca, extra_env=None):
        super().__init__(settings, name=name, quiet=True, build=False)
        self.extra_env = {"LEGO_CA_CERTIFICATES": str(ca.listener_ca), "HTTPS_PORT": "443", **(extra_env or {})}

    def _child_env(self):
        return {**super()._child_env(), **self.extra_env}


def wait_for_certificate(address, ca, deadline, what, port=443):
    context = ssl.create_default_context(cafile=str(ca.root))
    while True:
        try:
            with socket.create_connection((address, port), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname=DOMAIN):
                    return
        except (ssl.SSLError, OSError):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nginx served no certificate from Pebble within {CERT_TIMEOUT} s; see {what}"
                ) from None
            time.sleep(0.1)


@contextmanager
def nginx_edge(ca, name, **settings):
    """The native stack of make https (nginx at the edge, lego beside it) for DOMAIN, with its
    certificate from `ca`; waits (bounded) until the certificate is served and measures how long
    that took once the stack was up (lego started)."""
    values = stack_settings(
        DOMAIN=DOMAIN,
        ACME_EMAIL=EMAIL,
        ACME_CA=ca.directory,
        HTTPS_PORT=free_port(),
        HTTP_REDIRECT_PORT=free_port(),
        LOG_FORMAT="json",
        **settings,
    )
    values.update(https.check(values))
    stack = AcmeStack(values, name, ca)
    address = public_address()
    with ExitStack() as exits:
        exits.callback(stack.stop)
        stack.start()
        started = time.monotonic()
        exits.enter_context(port_forwarder(80, stack.redirect_port, address=address))
        exits.enter_context(port_forwarder(443, stack.https_port, address=address))
        log = stack.log_path("acme")
        wait_for_certificate(address, ca, started + CERT_TIMEOUT, log)
        yield Edge(address, ca, time.monotonic() - started, stack, log)
