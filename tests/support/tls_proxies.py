"""Real front proxies for the tests: Caddy and HAProxy terminating TLS in front of the stack.

Each is configured the way docs/headers.md (behind another proxy) tells users to, and
listens on a loopback port with a throwaway certificate for public.example and localhost.
"""

import subprocess
from contextlib import contextmanager

from .processes import running

PUBLIC_HOST = "public.example"
# The client's address as the tests send from, and the forwarding headers it forges: a front
# must replace or drop every one of them.
CLIENT = "127.0.0.5"
FORGED_BY_THE_CLIENT = {
    "X-Forwarded-For": "203.0.113.66",
    "X-Forwarded-Host": "evil.example:6666",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "for=203.0.113.66;proto=http;host=evil.example",
}
_HAPROXY_DEFAULTS = """global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""


def make_certificate(folder, addresses=("127.0.0.1",)):
    """A self-signed certificate (cert.pem, key.pem, both.pem) valid for one day, for
    public.example, localhost and `addresses`."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ",".join([f"DNS:{PUBLIC_HOST}", "DNS:localhost", *(f"IP:{a}" for a in addresses)])
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            f"/CN={PUBLIC_HOST}",
            "-addext",
            f"subjectAltName={names}",
        ],
        check=True,
        capture_output=True,
    )
    (folder / "both.pem").write_text(cert.read_text() + key.read_text())
    return cert


@contextmanager
def caddy(folder, port, upstream_port, prefix=None, request_id=False):
    """Caddy's reverse_proxy: sends X-Forwarded-For/-Proto/-Host (the Host with its port) and
    no X-Forwarded-Port. It passes other headers through, so the ones nginx would believe and
    Caddy does not set are removed (header_up -...). request_id: Caddy gives each request its
    own id, upstream and in the answer, and logs JSON lines to folder/caddy.log, as
    docs/headers.md's Caddy row says; otherwise the id is left to nginx."""
    make_certificate(folder)
    request_id_rules = "header_up -X-Request-ID"
    log = ""
    if request_id:
        request_id_rules = "\n            ".join(
            ["header_up X-Request-ID {http.request.uuid}", "header_down X-Request-ID {http.request.uuid}"]
        )
        log = f"log {{\n        output file {folder}/caddy.log\n        format json\n    }}"
    route = f"""
        reverse_proxy 127.0.0.1:{upstream_port} {{
            header_up -X-Forwarded-Port
            header_up -X-Forwarded-Prefix
            {request_id_rules}
        }}"""
    if prefix:
        route = f"""
        handle_path {prefix}/* {{
            reverse_proxy 127.0.0.1:{upstream_port} {{
                header_up -X-Forwarded-Port
                header_up X-Forwarded-Prefix {prefix}
                header_up -X-Request-ID
            }}
        }}"""
    (folder / "Caddyfile").write_text(f"""{{
    admin off
    auto_https off
    storage file_system {folder}/data
}}
https://:{port} {{
    tls {folder}/cert.pem {folder}/key.pem
    {log}
    {route}
}}
""")
    with running_caddy(folder, port) as proc:
        yield proc


def running_caddy(folder, port):
    """Caddy with folder/Caddyfile, its state and config kept in `folder` (not the user's home)."""
    env = {"HOME": str(folder), "XDG_CONFIG_HOME": str(folder), "XDG_DATA_HOME": str(folder), "PATH": "/usr/bin:/bin"}
    command = ["caddy", "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"]
    return running(command, port=port, env=env)


@contextmanager
def haproxy(folder, port, upstream_port, prefix=None, forwarded_port="%[dst_port]"):
    """HAProxy as a TLS load balancer: it sets every header nginx believes, replacing what the
    client sent, and leaves Host as the browser sent it."""
    make_certificate(folder)
    prefix_rules = "    http-request del-header X-Forwarded-Prefix\n"
    if prefix:
        prefix_rules = (
            f"    http-request set-header X-Forwarded-Prefix {prefix}\n"
            f"    http-request replace-path ^{prefix}(/.*)$ \\1\n"
        )
    (folder / "haproxy.cfg").write_text(
        _HAPROXY_DEFAULTS
        + f"""frontend public
    bind 127.0.0.1:{port} ssl crt {folder}/both.pem
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Port {forwarded_port}
    http-request set-header X-Forwarded-For %[src]
    http-request del-header X-Forwarded-Host
    http-request del-header X-Request-ID
{prefix_rules}    default_backend stack
backend stack
    server nginx 127.0.0.1:{upstream_port}
"""
    )
    with running(["haproxy", "-f", str(folder / "haproxy.cfg"), "-db"], port=port) as proc:
        yield proc


FRONTS = {"caddy": caddy, "haproxy": haproxy}


@contextmanager
def host_rewriter(folder, port, upstream_port, host="localhost"):
    """A misconfigured plain-HTTP proxy: HAProxy that replaces Host with a name without the
    port, as a proxy_set_header Host $host would. The public port is lost on the way."""
    (folder / "rewriter.cfg").write_text(
        _HAPROXY_DEFAULTS
        + f"""frontend public
    bind 127.0.0.1:{port}
    http-request set-header Host {host}
    default_backend stack
backend stack
    server nginx 127.0.0.1:{upstream_port}
"""
    )
    with running(["haproxy", "-f", str(folder / "rewriter.cfg"), "-db"], port=port) as proc:
        yield proc
