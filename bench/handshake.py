"""python -m bench.handshake PORT SERVERNAME new|reuse SECONDS: TLS connections to 127.0.0.1:PORT
for SECONDS, each a handshake (SNI SERVERNAME, no certificate check) and one HTTP/1.1 request
for /index.html with Connection: close, as a browser's first visit opens one. `new`: a full
handshake every time; `reuse`: every connection offers the session (ticket) of the first one.
Prints one JSON line: connections, how many the server resumed, errors.

`openssl s_time` would do the same without a request but sends no SNI, which Caddy needs to
pick the certificate.
"""

import json
import socket
import ssl
import sys
import time

REQUEST = b"GET /index.html HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"


def one(context, port, servername, session=None):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        # As browsers do: no Nagle delay between the handshake's last flight and the request.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with context.wrap_socket(raw, server_hostname=servername, session=session) as tls:
            tls.sendall(REQUEST % servername.encode())
            while tls.recv(65536):
                pass
            return tls.session, tls.session_reused


def main(argv):
    port, servername, mode, seconds = int(argv[0]), argv[1], argv[2], float(argv[3])
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # loopback, a throwaway or Caddy-local certificate
    session = one(context, port, servername)[0] if mode == "reuse" else None
    counts = {"connections": 0, "resumed": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _, reused = one(context, port, servername, session)
        except (OSError, ssl.SSLError):
            counts["errors"] += 1
            continue
        counts["connections"] += 1
        counts["resumed"] += reused
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
