"""`make https-local` without Docker: the runner starts the native stack with nginx terminating
TLS (a certificate for localhost from the runner's local CA), serves https with the right URLs,
logs one request id through every hop there is (nginx, gunicorn, the app), and Ctrl-C leaves
nothing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack import local_ca
from stack.env import ROOT
from stack.native import free_port
from stack.settings import SETTING_NAMES
from support.processes import alive, descendants, processes_using
from support.rawhttp import request
from support.stacks import stack_settings

RUN_NAME = f"tests/{os.getpid()}-https"
RUN_DIR = ROOT / ".run" / RUN_NAME


def json_lines(name):
    """The JSON objects of .run/RUN_NAME/<name>.log (nginx's access log, gunicorn's)."""
    text = (RUN_DIR / f"{name}.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_https_local_natively(built_frontend, tmp_path):
    https_port, redirect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        stack_settings(HTTPS_PORT=https_port, HTTP_REDIRECT_PORT=redirect_port, LOG_FORMAT="json"),
        STACK="native",
        PYTHONUNBUFFERED="1",
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
    root, certificate, _ = local_ca.paths()
    tls = (root, "localhost")
    host = f"localhost:{https_port}"
    ready = f"https ready: the app is at https://localhost:{https_port}/ with a certificate of the local CA"
    try:
        # The ready line comes once gunicorn, nginx and the certificate watcher all run.
        deadline = time.monotonic() + 90
        while ready not in out_file.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, f"no ready line:\n{out_file.read_text()}"
            time.sleep(0.2)
        response = request(https_port, "/api/", host=host, tls=tls)
        children = descendants(proc.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:3] for pid in children]
        whoami = request(https_port, "/api/whoami", host=host, tls=tls).json()
        redirect = request(redirect_port, "/about?tab=1", host=f"localhost:{redirect_port}")
        # A client's own id is replaced: nginx is the edge and trusts no one.
        forged = request(https_port, "/api/health", host=host, tls=tls, headers={"X-Request-ID": "forged-id"})
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    out = out_file.read_text()

    assert response.status == 302
    assert response.header("Location") == f"https://localhost:{https_port}/api/result"
    assert response.header("Strict-Transport-Security") == "max-age=31536000"
    assert (whoami["scheme"], whoami["port"], whoami["remote_addr"]) == ("https", https_port, "127.0.0.1")
    # The redirect names HTTPS_PORT: the same URL on https.
    assert (redirect.status, redirect.header("Location")) == (308, f"https://localhost:{https_port}/about?tab=1")
    assert redirect.header("Strict-Transport-Security") is None
    assert proc.returncode == 0, out
    assert "nothing left running" in out
    assert certificate.exists()
    assert any(command[0].startswith(b"nginx: master process") for command in commands), commands
    assert any(command[1:2] == [str(ROOT / "nginx" / "tls-watch.sh").encode()] for command in commands), commands
    assert not any(b"lego" in part for command in commands for part in command), "no ACME client in local mode"
    time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []
    assert processes_using(str(RUN_DIR)) == []

    # One id through the hops there are (nginx, gunicorn, the app), read once all have stopped.
    request_id = response.header("X-Request-ID")
    nginx = [line for line in json_lines("access") if line["request_id"] == request_id]
    gunicorn = [line for line in json_lines("gunicorn") if line["request_id"] == request_id]
    assert [(line["path"], line["status"], line["client"], line["scheme"], line["protocol"]) for line in nginx] == [
        ("/api/", 302, "127.0.0.1", "https", "HTTP/1.1")
    ]
    assert [(line["logger"], line.get("message")) for line in gunicorn] == [
        ("app", f"redirect to https://localhost:{https_port}/api/result"),
        ("gunicorn.access", None),
    ]
    assert forged.status == 200 and forged.header("X-Request-ID") not in (None, "forged-id")
    for hop in ("access", "gunicorn"):
        ids = [line["request_id"] for line in json_lines(hop)]
        assert forged.header("X-Request-ID") in ids and "forged-id" not in ids, hop
