"""`make https` in Docker: docker-compose.yml with docker-compose.https.yml on a real engine,
nginx terminating TLS with the certificate the acme service (lego) gets by ACME (ACME_CA) from a
Pebble on the host, and renews.

Network rules: the test talks only to loopback, to nginx's ports published on a loopback
address of its own (127.x.y.z:80 and :443, so clients see the default ports). lego reaches
Pebble the one way a container reaches the host: the gateway of the project's network, where
Pebble's ACME listener is bound; Pebble's management port stays on 127.0.0.1. That network gets
a range of its own per run (several runs share one engine).

When the engine has no goacme/lego image and none can be pulled (no registry here), a
look-alike is built from Debian's lego package of the same version (support/docker/images.py);
everything else (the acme and acme-volume services, the volume, acme/lego.sh, nginx's
certificate watcher) is the overlay's own. The test prints which lego ran.
"""

import ipaddress
import random
import ssl
import subprocess
import time

import pytest
from python_on_whales import docker

from stack.env import ROOT
from stack.native import free_port
from support.acme import CERT_TIMEOUT, DOMAIN, EMAIL, handshake, pebble, public_address, served_certificate
from support.docker.compose import ComposeStack, project_name
from support.docker.images import acme_images, ensure_base_images
from support.rawhttp import request
from support.tls_proxies import make_certificate


def _free_octet():
    """N for a range 10.77.N.0/28 that no network on the engine overlaps."""
    used = [
        ipaddress.ip_network(config["Subnet"])
        for network in docker.network.list()
        for config in (network.ipam.config or [])
        if config.get("Subnet")
    ]
    free = [n for n in range(256) if not any(ipaddress.ip_network(f"10.77.{n}.0/28").overlaps(u) for u in used)]
    assert free, "every 10.77.N.0/28 is taken on this engine"
    return random.choice(free)


def _override(folder, address, subnet, gateway):
    """The test's compose file, read last: nginx's ports on a loopback address of its own, this
    run's network range, and Pebble's listener certificate trusted by lego."""
    return f"""services:
  acme:
    environment:
      LEGO_CA_CERTIFICATES: /pebble/listener.pem
    volumes:
      - {folder}/pebble/cert.pem:/pebble/listener.pem:ro
  nginx:
    ports: !override
      - "{address}:80:80"
      - "{address}:443:443"
networks:
  default:
    ipam:
      config:
        - subnet: {subnet}
          gateway: {gateway}
"""


@pytest.fixture(scope="module")
def https_compose(docker_engine, tmp_path_factory):
    """The compose stack with nginx at the edge (created, not started) and this run's Pebble."""
    images = ensure_base_images(acme_images())
    folder = tmp_path_factory.mktemp("docker-https")
    octet = _free_octet()
    subnet, gateway = f"10.77.{octet}.0/28", f"10.77.{octet}.1"
    address = public_address()
    override = folder / "https-test.yml"
    override.write_text(_override(folder, address, subnet, gateway))
    (folder / "pebble").mkdir()
    make_certificate(folder / "pebble", addresses=["127.0.0.1", gateway])  # mounted into lego
    pebble_port = free_port()
    stack = ComposeStack(
        project_name("-https"),
        {"DOMAIN": DOMAIN, "ACME_EMAIL": EMAIL, "ACME_CA": f"https://{gateway}:{pebble_port}/dir"},
        files=("docker-compose.yml", "docker-compose.https.yml"),
        last=(str(override),),
        profiles=("acme",),
    )
    try:
        # The network first: Pebble listens on its gateway before lego starts.
        subprocess.run(
            [*stack.compose_command, "create", "--build"], cwd=ROOT, check=True, capture_output=True, timeout=900
        )
        with pebble(folder / "pebble", listen=gateway, port=pebble_port) as ca:
            yield stack, ca, address, images
    finally:
        stack.down()


def _wait_for_certificate(address, ca, started):
    context = ssl.create_default_context(cafile=str(ca.root))
    context.set_alpn_protocols(["h2", "http/1.1"])
    while True:
        try:
            return handshake(address, context)
        except OSError:
            assert time.monotonic() - started < CERT_TIMEOUT, "no certificate from Pebble in time"
            time.sleep(0.2)


def test_https_overlay_gets_a_certificate_serves_https_and_renews_it(https_compose):
    stack, ca, address, images = https_compose
    stack.up(wait_timeout=600)
    started = time.monotonic()  # every container runs: lego asks Pebble from here on
    certificate, alpn = _wait_for_certificate(address, ca, started)
    print(
        f"\ndocker https: lego: {', '.join(f'{name} ({how})' for name, how in images.items())}; "
        f"`compose up --build --wait` {stack.seconds_to_healthy:.1f} s, then a certificate from Pebble "
        f"served {time.monotonic() - started:.2f} s later"
    )

    issuer = dict(pair for rdn in certificate["issuer"] for pair in rdn)
    assert issuer["commonName"].startswith("Pebble Intermediate CA")
    assert ("DNS", DOMAIN) in certificate["subjectAltName"]
    assert alpn == "h2"

    tls = (ca.root, DOMAIN)
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "6666"}
    redirect = request(80, "/api/?a=1", host=DOMAIN, address=address, headers=forged)
    assert (redirect.status, redirect.header("Location")) == (308, f"https://{DOMAIN}/api/?a=1")
    assert redirect.header("Strict-Transport-Security") is None
    api = request(443, "/api/", host=DOMAIN, address=address, tls=tls, headers=forged)
    assert (api.status, api.header("Location")) == (302, f"https://{DOMAIN}/api/result")
    assert api.header("Strict-Transport-Security") == "max-age=31536000"
    whoami = request(443, "/api/whoami", host=DOMAIN, address=address, tls=tls, headers=forged).json()
    assert (whoami["scheme"], whoami["port"], whoami["result_url"]) == ("https", 443, f"https://{DOMAIN}/api/result")

    # A renewal, as the acme service's loop runs it (with a threshold every certificate is
    # under): nginx's own container sees the new files and reloads itself.
    before = served_certificate(address)
    renew = [
        *stack.compose_command,
        "exec",
        "-T",
        "acme",
        "lego",
        "--accept-tos",
        "--email",
        EMAIL,
        "--domains",
        DOMAIN,
        "--server",
        f"{ca.directory}",
        "--path",
        "/acme",
        "--http",
        "--http.webroot",
        "/acme/webroot",
        "renew",
        "--days",
        "100000",
        "--no-random-sleep",
    ]
    done = subprocess.run(renew, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 30
    while served_certificate(address) == before:
        assert time.monotonic() < deadline, "nginx still serves the certificate from before the renewal"
        time.sleep(0.3)
    logs = subprocess.run([*stack.compose_command, "logs", "nginx"], cwd=ROOT, capture_output=True, text=True).stdout
    assert logs.count("changed: nginx reloaded") >= 2, logs


def test_https_local_overlay_serves_the_local_cas_certificate(docker_engine, tmp_path):
    """make https-local in Docker: the local CA's files (TLS_FILES, as the runner sets it) in
    place of the acme volume, nginx serving them on its published 443; without the acme profile
    no ACME client runs."""
    from stack import https, local_ca

    ensure_base_images(acme_images())
    ca, _, _ = local_ca.ensure()
    address = public_address()
    override = tmp_path / "https-local-test.yml"
    override.write_text(f"""services:
  nginx:
    ports: !override
      - "{address}:8080:80"
      - "{address}:8443:443"
""")
    settings = https.check({}, local=True)
    stack = ComposeStack(
        project_name("-https-local"),
        {**settings, "TLS_FILES": str(local_ca.paths()[1].parent.parent)},
        files=("docker-compose.yml", "docker-compose.https.yml"),
        last=(str(override),),
    )
    try:
        stack.up(wait_timeout=600)
        tls = (ca, "localhost")
        api = request(8443, "/api/", host="localhost:8443", address=address, tls=tls)
        assert (api.status, api.header("Location")) == (302, "https://localhost:8443/api/result")
        assert api.header("Strict-Transport-Security") == "max-age=31536000"
        redirect = request(8080, "/about", host="localhost:8080", address=address)
        assert (redirect.status, redirect.header("Location")) == (308, "https://localhost:8443/about")
        services = {c.config.labels["com.docker.compose.service"] for c in stack.client.compose.ps(all=True)}
        assert services == {"api", "nginx"}
    finally:
        stack.down()
