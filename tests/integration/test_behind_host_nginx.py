"""The stack behind an nginx on the host (docs/behind-host-nginx.md), for real.

A second nginx (Debian's, a process of its own with its config in tmp) runs the server blocks
of the docs page, read from it, with TLS by a throwaway certificate, in front of a native
stack with HTTP_BIND=127.0.0.1 and TRUSTED_PROXIES=127.0.0.1. The client talks https to it as
https://public.example:<port>/ from 127.0.0.5.
"""

import os
import re
import subprocess

import pytest

from stack.env import ROOT
from stack.native import free_port
from support.processes import running
from support.rawhttp import request
from support.tls_proxies import CLIENT, FORGED_BY_THE_CLIENT, PUBLIC_HOST, make_certificate

DOCS_PAGE = ROOT / "docs" / "behind-host-nginx.md"
# Other addresses of this machine than 127.0.0.1: loopback all (IPv6 where the kernel has it,
# as the stack's nginx listens on [::] only then).
OTHER_LOOPBACKS = ("127.0.0.2", "::1") if os.path.exists("/proc/net/if_inet6") else ("127.0.0.2",)


def docs_server_blocks():
    """The one ```nginx block of the docs page."""
    (block,) = re.findall(r"^```nginx\n(.*?)^```$", DOCS_PAGE.read_text(), re.S | re.M)
    return block


def host_nginx_config(folder, http_port, https_port, stack_port):
    """The docs' server blocks with what a test must change: the listen ports (loopback, no
    [::] listens), the certificate and the stack's port. Each replaced line must be in the
    block exactly as the test expects it, so the page and the test cannot drift apart."""
    replacements = {
        "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen [::]:80;\n": "",
        "    listen 443 ssl;\n": f"    listen 127.0.0.1:{https_port} ssl;\n",
        "    listen [::]:443 ssl;\n": "",
        "/etc/letsencrypt/live/app.example.com/fullchain.pem": str(folder / "cert.pem"),
        "/etc/letsencrypt/live/app.example.com/privkey.pem": str(folder / "key.pem"),
        "proxy_pass http://127.0.0.1:8000;": f"proxy_pass http://127.0.0.1:{stack_port};",
    }
    site = docs_server_blocks()
    for old, new in replacements.items():
        assert site.count(old) == 1, f"docs/behind-host-nginx.md: expected {old!r} once in the server blocks"
        site = site.replace(old, new)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "".join(f"    {kind}_temp_path {folder}/{kind};\n" for kind in kinds)
    return f"""pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    access_log {folder}/access.log;
{temp}{site}}}
"""


@pytest.fixture(scope="module")
def bound_stack(start_stack):
    """The stack as the page sets it up natively: loopback only, trusting the host nginx."""
    return start_stack(HTTP_BIND="127.0.0.1", TRUSTED_PROXIES="127.0.0.1")


@pytest.fixture(scope="module")
def host_nginx(bound_stack, tmp_path_factory):
    """(http port, https port, send) of the host nginx in front of bound_stack."""
    folder = tmp_path_factory.mktemp("host-nginx")
    make_certificate(folder)
    http_port, https_port = free_port(), free_port()
    conf = folder / "nginx.conf"
    conf.write_text(host_nginx_config(folder, http_port, https_port, bound_stack.port))
    command = ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
    check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    def send(path, **kwargs):
        return request(
            https_port,
            path,
            host=f"{PUBLIC_HOST}:{https_port}",
            source=CLIENT,
            tls=(folder / "cert.pem", PUBLIC_HOST),
            **kwargs,
        )

    with running([*command, "-g", "daemon off;"], port=https_port):
        yield http_port, https_port, send


def test_redirect_is_the_https_url_the_browser_used(host_nginx):
    _, port, send = host_nginx
    response = send("/api/")
    assert response.status == 302
    assert response.header("Location") == f"https://{PUBLIC_HOST}:{port}/api/result"


def test_whoami_sees_https_and_the_real_client(host_nginx):
    _, port, send = host_nginx
    whoami = send("/api/whoami").json()
    assert whoami["scheme"] == "https"
    assert whoami["remote_addr"] == CLIENT
    assert whoami["port"] == port
    assert whoami["result_url"] == f"https://{PUBLIC_HOST}:{port}/api/result"
    # The stack's nginx sends HSTS because the host nginx said https.
    assert send("/").header("Strict-Transport-Security") == "max-age=31536000"


def test_client_headers_cannot_pass_through_the_host_nginx(host_nginx):
    _, port, send = host_nginx
    forged = {**FORGED_BY_THE_CLIENT, "X-Request-ID": "forged-id"}
    response = send("/api/", headers=forged)
    assert response.header("Location") == f"https://{PUBLIC_HOST}:{port}/api/result"
    assert response.header("X-Request-ID") != "forged-id"
    whoami = send("/api/whoami", headers=forged).json()
    assert (whoami["remote_addr"], whoami["scheme"], whoami["script_root"]) == (CLIENT, "https", "/api")


def test_the_http_server_redirects_to_https(host_nginx):
    # On the real port 80 that is the https URL on 443; here the http port is a free one.
    http_port, _, _ = host_nginx
    response = request(http_port, "/api/", host=f"{PUBLIC_HOST}:{http_port}", source=CLIENT)
    assert response.status == 301
    assert response.header("Location") == f"https://{PUBLIC_HOST}/api/"


def test_with_http_bind_the_stack_answers_on_that_address_only(bound_stack):
    assert request(bound_stack.port, "/api/health").status == 200
    for address in OTHER_LOOPBACKS:
        with pytest.raises(ConnectionRefusedError):
            request(bound_stack.port, "/api/health", address=address)


def test_without_http_bind_the_stack_answers_on_every_address(stack):
    for address in ("127.0.0.1", *OTHER_LOOPBACKS):
        assert request(stack.port, "/api/health", address=address).status == 200, address
