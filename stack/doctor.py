"""`make doctor`: probe a running deployment from outside and say, in plain words, whether the
URLs come out right, what is wrong, and which setting fixes it.

It talks HTTP(S) to the URL a browser would use and checks: the SPA and its fallbacks, the
API's redirect (scheme, host, port, prefix), what the API saw (/whoami), that forged forwarding
headers from this client are not believed, JSON errors, and the security headers.
Exit status: 0 all good, 1 a problem was found, 2 the URL could not be reached.
"""

import http.client
import json
import re
import socket
import ssl
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
SECURITY_HEADERS = ("X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy")


class Unreachable(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Report:
    lines: list = field(default_factory=list)
    problems: int = 0

    def ok(self, what, detail):
        self.lines.append(f"  ok    {what}: {detail}")

    def bad(self, what, detail, fix):
        self.problems += 1
        self.lines.append(f"  FAIL  {what}: {detail}\n        fix: {fix}")


class Probe:
    """HTTP(S) requests to one base URL, optionally connecting to another address."""

    def __init__(self, url, connect=None, cafile=None, insecure=False, timeout=10):
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        self.scheme, self.hostname = parts.scheme, parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        self.netloc = host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"
        self.origin = f"{self.scheme}://{self.netloc}"
        self.connect_to = connect or self.hostname
        self.timeout = timeout
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cafile=cafile)
            if insecure:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def get(self, path, headers=None):
        try:
            sock = socket.create_connection((self.connect_to, self.port), timeout=self.timeout)
            conn = http.client.HTTPConnection(self.connect_to, self.port, timeout=self.timeout)
            if self.context:
                sock = self.context.wrap_socket(sock, server_hostname=self.hostname)
            conn.sock = sock
            conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self.netloc)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            answer = Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
            conn.close()
            return answer
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"{self.origin}{path}: {exc}") from None


def _split(url):
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port, parts.path


def check_redirect(probe, prefix, report):
    expected = f"{probe.origin}{prefix}/result"
    answer = probe.get(f"{prefix}/")
    location = answer.headers.get("location", "")
    if answer.status != 302 or not location:
        report.bad(
            "redirect",
            f"GET {prefix}/ answered {answer.status} without a redirect",
            f"check that the API is mounted at {prefix} (API_PREFIX) and running (make up shows its log)",
        )
        return None
    if location == expected:
        report.ok("redirect", f"{prefix}/ -> {location}")
        return location
    want, got = _split(expected), _split(location)
    if got[0] != want[0]:
        report.bad(
            "scheme",
            f"the API redirects to {got[0]}:// but you reached it over {want[0]}://",
            "list the TLS proxy in front of nginx in TRUSTED_PROXIES and make it send X-Forwarded-Proto",
        )
    if got[1] != want[1]:
        report.bad(
            "host",
            f"the API builds URLs for host {got[1]!r}, but you asked for {want[1]!r}",
            "a proxy in front rewrites Host: pass the original Host through, or send X-Forwarded-Host "
            "from a proxy listed in TRUSTED_PROXIES",
        )
    if got[2] != want[2]:
        report.bad(
            "port",
            f"the API builds URLs with port {got[2]}, but you reached it on port {want[2]}",
            "a proxy or port mapping in front drops the port from Host: keep the Host header with its "
            "port, or send X-Forwarded-Port from a proxy listed in TRUSTED_PROXIES",
        )
    if got[3] != want[3]:
        report.bad(
            "prefix",
            f"the redirect goes to path {got[3]!r}, expected {want[3]!r}",
            "set the same API_PREFIX for nginx, gunicorn and the SPA; a front proxy that strips a path "
            "must send X-Forwarded-Prefix and be listed in TRUSTED_PROXIES",
        )
    return None


def check_result(probe, prefix, report):
    answer = probe.get(f"{prefix}/result")
    data = answer.json()
    if answer.status == 200 and data and "message" in data:
        report.ok("result", f"{prefix}/result answers 200 JSON")
    else:
        report.bad("result", f"{prefix}/result answered {answer.status}", "check gunicorn's log")
    whoami = probe.get(f"{prefix}/whoami").json() or {}
    if whoami:
        report.ok(
            "whoami",
            f"the API sees client {whoami.get('remote_addr')}, scheme {whoami.get('scheme')}, "
            f"host {whoami.get('host')}, prefix {whoami.get('script_root')}",
        )


def check_spoofing(probe, prefix, report):
    forged = {
        "X-Forwarded-Host": "doctor-forged.invalid",
        "X-Forwarded-Proto": "https" if probe.scheme == "http" else "http",
        "X-Forwarded-Port": "6666",
        "X-Forwarded-Prefix": "/doctor-forged",
        "Forwarded": "host=doctor-forged.invalid",
    }
    location = probe.get(f"{prefix}/", headers=forged).headers.get("location", "")
    if any(mark in location for mark in ("doctor-forged", ":6666")) or (
        location and _split(location)[0] != probe.scheme
    ):
        report.bad(
            "forwarded headers",
            f"headers forged by this client moved the redirect to {location}",
            "only proxies may be in TRUSTED_PROXIES (is this client's address listed?), and a proxy in "
            "front must set or delete every X-Forwarded-* header instead of passing the client's through",
        )
    else:
        report.ok("forwarded headers", "forged X-Forwarded-* and Forwarded from this client are ignored")


def check_spa(probe, prefix, report):
    index = probe.get("/")
    if index.status != 200 or b'<div id="app">' not in index.body:
        report.bad(
            "spa", f"/ answered {index.status} without the SPA's shell", "build the frontend and check nginx's root"
        )
        return index
    deep = probe.get("/doctor/deep/link")
    if deep.status == 200 and deep.body == index.body:
        report.ok("spa", "/ serves the SPA; a deep link falls back to index.html")
    else:
        report.bad(
            "spa",
            f"a deep link answered {deep.status}, not index.html",
            "nginx needs try_files $uri /index.html for client routes",
        )
    asset = probe.get("/assets/doctor-missing.js")
    if asset.status == 404:
        report.ok("assets", "a missing asset is a 404, not HTML")
    else:
        report.bad("assets", f"a missing asset answered {asset.status}", "serve /assets/ with try_files $uri =404")
    return index


def check_errors_and_headers(probe, prefix, index, report):
    missing = probe.get(f"{prefix}/doctor-no-such-route")
    data = missing.json()
    if missing.status == 404 and isinstance(data, dict) and data.get("status") == 404:
        report.ok("errors", "an unknown API route is a JSON 404")
    else:
        report.bad(
            "errors",
            f"an unknown API route answered {missing.status} {missing.headers.get('content-type')}",
            "the API's JSON error handlers are not in the path",
        )
    absent = [h for h in SECURITY_HEADERS if h.lower() not in index.headers]
    if absent:
        report.bad(
            "headers",
            f"missing on /: {', '.join(absent)}",
            "nginx's add_header lines are not applied (an add_header in a location drops the server's)",
        )
    else:
        report.ok("headers", "security headers present")
    if index.headers.get("cache-control") != "no-cache":
        report.bad(
            "caching",
            f"index.html is served with Cache-Control {index.headers.get('cache-control')!r}",
            "index.html must be revalidated (no-cache) so a deploy is seen",
        )
    server = index.headers.get("server", "")
    if re.search(r"\d", server):
        report.bad("headers", f"the Server header names a version ({server})", "server_tokens off")


def run(url, prefix="/api", connect=None, cafile=None, insecure=False, out=sys.stdout):
    try:
        probe = Probe(url, connect=connect, cafile=cafile, insecure=insecure)
    except ValueError as exc:
        print(f"doctor: {exc}", file=out)
        return 2
    report = Report()
    print(f"doctor: probing {probe.origin}/ (API at {prefix}/)", file=out)
    try:
        index = check_spa(probe, prefix, report)
        if check_redirect(probe, prefix, report):
            check_spoofing(probe, prefix, report)
        check_result(probe, prefix, report)
        check_errors_and_headers(probe, prefix, index, report)
    except Unreachable as exc:
        print(f"doctor: cannot reach {exc}\n  is the stack running (make up), and is the URL right?", file=out)
        return 2
    print("\n".join(report.lines), file=out)
    if report.problems:
        print(f"doctor: {report.problems} problem(s) found.", file=out)
        return 1
    print("doctor: every URL comes out right.", file=out)
    return 0
