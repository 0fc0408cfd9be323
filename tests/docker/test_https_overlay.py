"""`make https` in Docker: docker-compose.yml with docker-compose.https.yml on a real engine,
Caddy getting its certificate by ACME (ACME_CA) from a Pebble on the host.

Network rules: the test talks only to loopback, to Caddy's ports published on a loopback
address of its own (127.x.y.z:80 and :443, so clients see the default ports). Caddy reaches
Pebble the one way a container reaches the host: the gateway of its compose network ("edge"),
where Pebble's ACME listener is bound; Pebble's management port stays on 127.0.0.1.

The edge network gets a range of its own per run (several runs share one engine); its pinned
address for Caddy is in TRUSTED_PROXIES, as the overlay's own (10.77.77.2) is by default.
When the engine has no caddy image and none can be pulled (no registry here), Caddy runs as
Debian's caddy binary of the pinned major.minor (from the suite of the project's nginx base
image, else this machine's), mounted into that base image; every other part of the overlay
(network, pinned address, ports, volumes, run.sh, Caddyfile) is the shipped one. No image is
built for it. The test prints which Caddy ran.
"""

import ipaddress
import random
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from python_on_whales import docker

from stack.env import ROOT
from stack.native import free_port
from support.acme import CERT_TIMEOUT, DOMAIN, EMAIL, handshake, pebble, public_address
from support.docker.compose import ComposeStack, project_name
from support.docker.images import base_images, cache_dir
from support.rawhttp import request
from support.tls_proxies import make_certificate


def caddy_image():
    """The overlay's image: `image: caddy:X.Y.Z` of the caddy service."""
    for line in (ROOT / "docker-compose.https.yml").read_text().splitlines():
        if line.strip().startswith("image: caddy:"):
            return line.split("image:", 1)[1].strip()
    raise AssertionError("docker-compose.https.yml names no caddy image")


def _image_available(name):
    if subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0:
        return True
    return subprocess.run(["docker", "pull", "--quiet", name], capture_output=True, timeout=120).returncode == 0


def stand_in_caddy():
    """(image, caddy binary, its version) to run in place of the official image: the project's
    nginx base image, with Debian's caddy of the pinned major.minor from that image's own suite
    (downloaded once, cached beside the look-alikes), else this machine's caddy."""
    image = next(name for name in base_images() if name.startswith("nginx:"))
    wanted = ".".join(caddy_image().split(":", 1)[1].split(".")[:2])
    cache = cache_dir()
    binary = cache / f"caddy-{wanted}"
    if not binary.exists():
        fetched = subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--entrypoint",
                "sh",
                "-v",
                f"{cache}:/out",
                image,
                "-c",
                "set -e; apt-get -o Acquire::Check-Valid-Until=false update -qq; cd /tmp; "
                "apt-get download -qq caddy; dpkg -x caddy_*.deb x; cp x/usr/bin/caddy /out/caddy.part",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        part = cache / "caddy.part"
        if fetched.returncode == 0 and wanted in _version(image, part):
            part.rename(binary)
        else:
            part.unlink(missing_ok=True)
    if not binary.exists():
        binary = Path(shutil.which("caddy"))
    return image, binary, _version(image, binary)


def _version(image, binary):
    shown = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/caddy", "-v", f"{binary}:/caddy:ro", image, "version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return shown.stdout.split()[0] if shown.returncode == 0 and shown.stdout else "unknown"


def _free_octet():
    """N for an edge range 10.77.N.0/29 that no network on the engine overlaps."""
    used = [
        ipaddress.ip_network(config["Subnet"])
        for network in docker.network.list()
        for config in (network.ipam.config or [])
        if config.get("Subnet")
    ]
    free = [n for n in range(256) if not any(ipaddress.ip_network(f"10.77.{n}.0/29").overlaps(u) for u in used)]
    assert free, "every 10.77.N.0/29 is taken on this engine"
    return random.choice(free)


def _override(folder, address, subnet, gateway, caddy_ip, nginx_ip, stand_in):
    """The test's compose file on top of the overlay: loopback ports, this run's edge range,
    Pebble's listener certificate trusted, and (without the image) the stand-in Caddy."""
    image = (
        ""
        if not stand_in
        else f"""
    image: {stand_in[0]}"""
    )
    extra_env = (
        ""
        if not stand_in
        else """
      # What the official image sets: Caddy's data and config in the overlay's volumes.
      XDG_DATA_HOME: /data
      XDG_CONFIG_HOME: /config"""
    )
    extra_volume = (
        ""
        if not stand_in
        else f"""
      - {stand_in[1]}:/usr/local/bin/caddy:ro"""
    )
    # The volumes' owner is set by the same image as Caddy's (its chown).
    volumes_init = (
        ""
        if not stand_in
        else f"""
  caddy-volumes:
    image: {stand_in[0]}"""
    )
    return f"""services:{volumes_init}
  caddy:{image}
    environment:
      SSL_CERT_FILE: /pebble/listener.pem{extra_env}
    volumes:
      - {folder}/pebble/cert.pem:/pebble/listener.pem:ro{extra_volume}
    ports: !override
      - "{address}:80:80"
      - "{address}:443:443"
    networks:
      edge:
        ipv4_address: {caddy_ip}
  nginx:
    networks:
      default:
      edge:
        ipv4_address: {nginx_ip}
networks:
  edge:
    ipam:
      config: !override
        - subnet: {subnet}
          gateway: {gateway}
"""


@pytest.fixture(scope="module")
def https_compose(docker_engine, tmp_path_factory):
    """The compose stack behind Caddy (created, not started) and this run's Pebble."""
    folder = tmp_path_factory.mktemp("docker-https")
    octet = _free_octet()
    subnet, gateway = f"10.77.{octet}.0/29", f"10.77.{octet}.1"
    caddy_ip, nginx_ip = f"10.77.{octet}.2", f"10.77.{octet}.3"
    address = public_address()
    stand_in = None if _image_available(caddy_image()) else stand_in_caddy()
    override = folder / "https-test.yml"
    override.write_text(_override(folder, address, subnet, gateway, caddy_ip, nginx_ip, stand_in))
    (folder / "pebble").mkdir()
    make_certificate(folder / "pebble", addresses=["127.0.0.1", gateway])  # mounted into Caddy
    pebble_port = free_port()
    stack = ComposeStack(
        project_name("-https"),
        {
            "DOMAIN": DOMAIN,
            "ACME_EMAIL": EMAIL,
            "ACME_CA": f"https://{gateway}:{pebble_port}/dir",
            "TRUSTED_PROXIES": caddy_ip,
        },
        files=("docker-compose.yml", "docker-compose.https.yml", str(override)),
    )
    try:
        # The edge network first: Pebble listens on its gateway before Caddy starts.
        subprocess.run(
            [*stack.compose_command, "create", "--build"], cwd=ROOT, check=True, capture_output=True, timeout=900
        )
        with pebble(folder / "pebble", listen=gateway, port=pebble_port) as ca:
            yield stack, ca, address, stand_in
    finally:
        stack.down()


def test_https_overlay_gets_a_certificate_and_serves_https(https_compose):
    stack, ca, address, stand_in = https_compose
    stack.up(wait_timeout=600)
    started = time.monotonic()  # every container runs: Caddy asks Pebble from here on
    context = ssl.create_default_context(cafile=str(ca.root))
    context.set_alpn_protocols(["h2", "http/1.1"])
    while True:
        try:
            certificate, alpn = handshake(address, context)
            break
        except OSError:
            assert time.monotonic() - started < CERT_TIMEOUT, "no certificate from Pebble in time"
            time.sleep(0.2)
    ran = f"image {caddy_image()}" if not stand_in else f"Debian's caddy {stand_in[2]} in {stand_in[0]}"
    print(
        f"\ndocker https: Caddy: {ran}; "
        f"`compose up --build --wait` {stack.seconds_to_healthy:.1f} s, then a certificate from Pebble "
        f"served {time.monotonic() - started:.2f} s later"
    )

    issuer = dict(pair for rdn in certificate["issuer"] for pair in rdn)
    assert issuer["commonName"].startswith("Pebble Intermediate CA")
    assert ("DNS", DOMAIN) in certificate["subjectAltName"]
    assert alpn == "h2"

    tls = (ca.root, DOMAIN)
    redirect = request(80, "/api/", host=DOMAIN, address=address)
    assert (redirect.status, redirect.header("Location")) == (308, f"https://{DOMAIN}/api/")
    api = request(443, "/api/", host=DOMAIN, address=address, tls=tls)
    assert (api.status, api.header("Location")) == (302, f"https://{DOMAIN}/api/result")
    assert api.header("Strict-Transport-Security") == "max-age=31536000"
    whoami = request(443, "/api/whoami", host=DOMAIN, address=address, tls=tls).json()
    assert (whoami["scheme"], whoami["port"], whoami["result_url"]) == ("https", 443, f"https://{DOMAIN}/api/result")
    assert request(80, "/", host=DOMAIN, address=address).header("Strict-Transport-Security") is None
