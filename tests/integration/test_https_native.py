"""`make https-local` without Docker: the runner starts the native stack with Caddy in front
(Caddy's own CA for localhost), serves https with the right URLs, logs one request id through
every hop, and Ctrl-C leaves nothing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack.env import ROOT
from stack.native import free_port
from stack.settings import SETTING_NAMES
from support.processes import alive, descendants, processes_using
from support.rawhttp import request
from support.stacks import stack_settings
from support.tls_proxies import CLIENT

RUN_NAME = f"tests/{os.getpid()}-https"
RUN_DIR = ROOT / ".run" / RUN_NAME


def json_lines(name):
    """The JSON objects of .run/RUN_NAME/<name>.log (Caddy's, nginx's access log, gunicorn's)."""
    text = (RUN_DIR / f"{name}.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def caddy_request_id(line):
    """The id in Caddy's access line: the X-Request-ID of the answer, which Caddy sets (header_down)."""
    return (line.get("resp_headers", {}).get("X-Request-Id") or [None])[0]


def test_https_local_natively(built_frontend, tmp_path):
    https_port, redirect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        stack_settings(HTTPS_PORT=https_port, HTTP_REDIRECT_PORT=redirect_port, LOG_FORMAT="json"),
        STACK="native",
        PYTHONUNBUFFERED="1",
        XDG_DATA_HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path),
    )
    out_file = tmp_path / "https.out"
    with open(out_file, "w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stack", "https", "--local", "--name", RUN_NAME],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    root = tmp_path / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    ready = f"caddy ready: the app is at https://localhost:{https_port}/"
    try:
        # supervisord starts Caddy beside gunicorn, so Caddy may answer (a JSON 502) before the API
        # does; the runner's ready line comes only once gunicorn, nginx and Caddy all answer.
        deadline = time.monotonic() + 90
        while ready not in out_file.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, f"no ready line:\n{out_file.read_text()}"
            time.sleep(0.2)
        response = None
        while response is None:  # Caddy listens before its local CA has signed the certificate
            assert time.monotonic() < deadline, "no https answer in time"
            try:
                response = request(https_port, "/api/", host=f"localhost:{https_port}", tls=(root, "localhost"))
            except OSError:  # FileNotFoundError for the root, ssl.SSLError for the handshake
                time.sleep(0.3)
        children = descendants(proc.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] for pid in children]
        whoami = request(https_port, "/api/whoami", host=f"localhost:{https_port}", tls=(root, "localhost")).json()
        redirect = request(redirect_port, "/about", host=f"localhost:{redirect_port}")
        # A client's own id is replaced, through Caddy and straight to nginx (not a trusted proxy).
        forged = {"X-Request-ID": "forged-id"}
        through_caddy = request(
            https_port, "/api/health", host=f"localhost:{https_port}", tls=(root, "localhost"), headers=forged
        )
        port = int(env["HTTP_PORT"])
        straight = request(port, "/api/health", host=f"localhost:{port}", headers=forged, source=CLIENT)
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    out = out_file.read_text()

    assert response.status == 302
    assert response.header("Location") == f"https://localhost:{https_port}/api/result"
    assert response.header("Strict-Transport-Security") == "max-age=31536000"
    assert (whoami["scheme"], whoami["remote_addr"]) == ("https", "127.0.0.1")
    # Caddy's redirect names the default https port, whatever HTTPS_PORT is.
    assert (redirect.status, redirect.header("Location")) == (308, "https://localhost/about")
    assert proc.returncode == 0, out
    assert "nothing left running" in out
    assert b"caddy" in commands, commands  # exec'd by caddy/run.sh, a child of the runner
    time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []
    assert processes_using(str(ROOT / ".run" / RUN_NAME)) == []

    # One id through the four hops, found in each one's JSON lines (read once all have stopped).
    request_id = response.header("X-Request-ID")
    caddy = [line for line in json_lines("caddy") if caddy_request_id(line) == request_id]
    nginx = [line for line in json_lines("access") if line["request_id"] == request_id]
    gunicorn = [line for line in json_lines("gunicorn") if line["request_id"] == request_id]
    assert [(line["request"]["uri"], line["status"]) for line in caddy] == [("/api/", 302)]
    assert [(line["path"], line["status"], line["client"], line["scheme"]) for line in nginx] == [
        ("/api/", 302, "127.0.0.1", "https")
    ]
    assert [(line["logger"], line.get("message")) for line in gunicorn] == [
        ("app", f"redirect to https://localhost:{https_port}/api/result"),
        ("gunicorn.access", None),
    ]
    # Caddy's id is its own, kept by nginx; the one nginx gives a client that is not a proxy is its own.
    for answer, hops in ((through_caddy, ("caddy", "access", "gunicorn")), (straight, ("access", "gunicorn"))):
        assert answer.status == 200 and answer.header("X-Request-ID") not in (None, "forged-id")
        for hop in hops:
            ids = [caddy_request_id(line) if hop == "caddy" else line["request_id"] for line in json_lines(hop)]
            assert answer.header("X-Request-ID") in ids and "forged-id" not in ids, hop
