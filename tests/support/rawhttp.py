"""A raw HTTP/1.1 client for the integration tests.

Unlike a browser or `requests`, it sends exactly what a test says: any Host header (or none),
an absolute-form request line, forged forwarding headers, and a chosen source address such as
127.0.0.2, so that a test can play an untrusted client. It never follows redirects.
"""

import http.client
import json
import socket
import ssl
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class _TLSConnection(http.client.HTTPConnection):
    """HTTPS to an address, with the certificate checked for another name (SNI)."""

    def __init__(self, *args, tls, **kwargs):
        super().__init__(*args, **kwargs)
        self._tls = tls

    def connect(self):
        super().connect()
        cafile, server_name = self._tls
        context = ssl.create_default_context(cafile=str(cafile))
        self.sock = context.wrap_socket(self.sock, server_hostname=server_name)


def request(
    port,
    path="/",
    *,
    method="GET",
    host="default",
    headers=(),
    body=None,
    source=None,
    address="127.0.0.1",
    target=None,
    timeout=10,
    tls=None,
):
    """Send one request to address:port and return the Response.

    host: the Host header; "default" means localhost:<port>, None sends none.
    headers: (name, value) pairs or a dict, sent as given (repeats allowed).
    source: the local address to send from (e.g. "127.0.0.2").
    target: the request target, if not `path` (e.g. "http://evil.example/api/").
    tls: (ca_file, server_name) to speak HTTPS and check the certificate for server_name.
    """
    kwargs = {"timeout": timeout, "source_address": (source, 0) if source else None}
    if tls:
        conn = _TLSConnection(address, port, tls=tls, **kwargs)
    else:
        conn = http.client.HTTPConnection(address, port, **kwargs)
    try:
        conn.putrequest(method, target or path, skip_host=True, skip_accept_encoding=True)
        if host == "default":
            host = f"localhost:{port}"
        if host is not None:
            conn.putheader("Host", host)
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw(*lines, body=b""):
    """The bytes of a request written line by line, as a client that breaks the rules would."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(port, data, address="127.0.0.1", timeout=10):
    """Send raw bytes (for requests http.client refuses to build) and parse one answer: status
    line, headers, and a body of Content-Length bytes (or up to the server's close)."""
    with socket.create_connection((address, port), timeout=timeout) as sock:
        sock.sendall(data)
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = http.client.HTTPMessage()
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        length = headers.get("Content-Length")
        while length is None or len(body) < int(length):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            body += chunk
    return Response(int(lines[0].split()[1]), headers, body)
