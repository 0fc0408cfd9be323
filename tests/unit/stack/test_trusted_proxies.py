"""What a valid TRUSTED_PROXIES is: the runner's check (stack/settings.py) and nginx's own verdict,
which the image's derivation asks for (nginx/docker-entrypoint.d/15-derive-settings.envsh).

Every entry the runner accepts, nginx takes; every entry nginx refuses stops the derivation
with one line naming the setting. nginx is more lenient on three forms, which the runner
refuses before anything starts (NGINX_ALSO_TAKES)."""

import os
import subprocess

import pytest

from stack import settings
from stack.env import ROOT
from stack.errors import StackError

DERIVE = ROOT / "nginx" / "docker-entrypoint.d" / "15-derive-settings.envsh"

CASES = [
    # value, accepted
    pytest.param("", True, id="empty-trusts-nobody"),
    pytest.param("10.0.0.1", True, id="ipv4"),
    pytest.param("10.0.0.0/8", True, id="ipv4-cidr"),
    pytest.param("0.0.0.0/0", True, id="ipv4-everything"),
    pytest.param("10.0.0.0/08", True, id="prefix-with-leading-zero"),
    pytest.param("10.0.0.1/24", True, id="host-bits-set"),
    pytest.param("192.0.2.7, 198.51.100.0/24", True, id="comma-separated"),
    pytest.param("  192.0.2.7   ::1  ", True, id="spaces-around-and-between"),
    pytest.param("::", True, id="ipv6-unspecified"),
    pytest.param("::1", True, id="ipv6-loopback"),
    pytest.param("fd00::/8", True, id="ipv6-cidr"),
    pytest.param("2001:DB8::A", True, id="ipv6-upper-case"),
    pytest.param("1:2:3:4:5:6:7:8", True, id="ipv6-eight-groups"),
    pytest.param("1:2:3:4:5:6::", True, id="ipv6-trailing-double-colon"),
    pytest.param("1:2:3:4:5:6:7::", False, id="seven-groups-then-double-colon-nginx-refuses"),
    pytest.param("::1:2:3:4:5:6:7", True, id="ipv6-leading-double-colon"),
    pytest.param("::ffff:10.0.0.1", True, id="ipv4-mapped"),
    pytest.param("1:2:3:4:5:6:1.2.3.4", True, id="ipv6-with-ipv4-tail"),
    pytest.param("::/0", True, id="ipv6-everything"),
    pytest.param("256.1.1.1", False, id="octet-too-big"),
    pytest.param("010.0.0.1", False, id="octet-leading-zero"),
    pytest.param("10.0.0", False, id="three-octets"),
    pytest.param("-1.0.0.0", False, id="negative-octet"),
    pytest.param("10.0.0.0/", False, id="empty-prefix"),
    pytest.param("10.0.0.0/33", False, id="ipv4-prefix-too-long"),
    pytest.param("10.0.0.0/255.0.0.0", False, id="netmask-not-cidr"),
    pytest.param("10.0.0.0/x", False, id="prefix-not-a-number"),
    pytest.param("10.0.0.0/8/8", False, id="two-slashes"),
    pytest.param("10.0.0.0/8;evil", False, id="nginx-syntax-injection"),
    pytest.param("fe80::1%eth0", False, id="zone-id"),
    pytest.param("fe80::%1/64", False, id="zone-id-with-prefix"),
    pytest.param("fd00::/129", False, id="ipv6-prefix-too-long"),
    pytest.param("1::2::3", False, id="two-double-colons"),
    pytest.param(":::", False, id="triple-colon"),
    pytest.param("1:2", False, id="two-groups-no-double-colon"),
    pytest.param("12345::", False, id="group-too-long"),
    pytest.param("1:2:3:4:5:6:7:8:9", False, id="nine-groups"),
    pytest.param("1:2:3:4:5:6:7:8::", False, id="eight-groups-and-double-colon"),
    pytest.param(":1::", False, id="single-leading-colon"),
    pytest.param("1::2:", False, id="single-trailing-colon"),
    pytest.param("::ffff:10.0.0.256", False, id="mapped-octet-too-big"),
    pytest.param("1:2:3:4:5:6:7:1.2.3.4", False, id="ipv4-tail-too-many-groups"),
    pytest.param("1.2::3", False, id="dots-in-the-middle"),
    pytest.param("[::1]", False, id="brackets"),
    pytest.param("localhost", False, id="host-name"),
    pytest.param("10.0.0.1, localhost", False, id="one-bad-in-a-list"),
]


# Forms nginx reads that Python's ipaddress refuses: the runner stops them in every mode it
# starts (native and compose); only an image started without it (Swarm, Kubernetes) takes them.
NGINX_ALSO_TAKES = {"010.0.0.1", ":1::", "1::2:"}


def python_accepts(value):
    try:
        settings.validate({"TRUSTED_PROXIES": value})
        return True
    except StackError as exc:
        assert "TRUSTED_PROXIES holds" in str(exc) and "\n" not in str(exc)
        return False


def image_accepts(value):
    result = subprocess.run(
        ["sh", "-c", '. "$1"', "sh", str(DERIVE)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "TRUSTED_PROXIES": value},
    )
    if result.returncode:
        assert result.stderr.startswith("nginx settings: TRUSTED_PROXIES holds"), result.stderr
    return result.returncode == 0


@pytest.mark.parametrize("value, accepted", CASES)
def test_runner_check_and_nginx_verdict(value, accepted):
    assert (python_accepts(value), image_accepts(value)) == (accepted, accepted or value in NGINX_ALSO_TAKES)


@pytest.mark.parametrize(
    "value",
    [pytest.param(param.values[0], id=param.id) for param in CASES if param.values[1] and param.values[0].strip()],
)
def test_nginx_takes_every_accepted_entry(tmp_path, value):
    """Accepted entries are real set_real_ip_from and geo values: nginx -t passes with them."""
    env = {
        "PATH": os.environ["PATH"],
        "NGINX_RUN_DIR": str(tmp_path),
        "API_BIND": "127.0.0.1:9",
        "NGINX_WEB_ROOT": str(tmp_path),
        "TRUSTED_PROXIES": value,
    }
    subprocess.run(["sh", str(ROOT / "nginx" / "render.sh")], env=env, check=True)
    check = subprocess.run(
        [
            "nginx",
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
