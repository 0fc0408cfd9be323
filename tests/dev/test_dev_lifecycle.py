"""`python -m stack dev` (what `make dev` runs) starts and stops as `make up` does: Ctrl-C or
SIGTERM ends every process, Vite's included; a port in use or a failing start leaves nothing."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from dev.sources import copy_frontend

from stack.dev import DevStack
from stack.env import ROOT
from stack.errors import StackError
from stack.native import RUN_ROOT, free_port
from support.processes import alive, descendants, processes_using
from support.rawhttp import request
from support.stacks import runner_env, stack_settings

RUN_NAME = f"tests/{os.getpid()}-dev-cli"


def run_dev(settings, send=None, timeout=60):
    """Run `python -m stack dev` natively; once it serves the page, send it a signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack", "dev", "--name", RUN_NAME],
        cwd=ROOT,
        env=runner_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    children = []
    if send:
        deadline = time.monotonic() + timeout
        while not serves_vite(int(settings["HTTP_PORT"])):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        children = descendants(proc.pid)
        os.kill(proc.pid, send)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out, children


def serves_vite(port):
    try:
        return "/@vite/client" in request(port, "/", timeout=2).text
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_dev_stops_everything_on_signal(sig):
    code, out, children = run_dev(stack_settings(VITE_PORT=free_port(), WEB_CONCURRENCY=1), send=sig)
    assert code == 0, out
    assert "dev mode" in out and "nothing left running" in out
    # Quiet: a line per service when ready; no request lines without ACCESS_LOG=1 (the page was
    # requested through nginx above).
    assert [line.split()[1] for line in out.splitlines() if " ready " in line] == ["gunicorn", "vite", "nginx"], out
    assert "GET / HTTP" not in out
    assert len(children) >= 5, "expected nginx and gunicorn with workers, and npm with Vite's node"
    time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []
    assert processes_using(str(RUN_ROOT / RUN_NAME)) == []


@pytest.mark.parametrize("busy_setting", ["HTTP_PORT", "VITE_PORT"])
def test_port_in_use_is_refused_and_nothing_starts(busy_setting):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = stack_settings(VITE_PORT=free_port())
        settings[busy_setting] = str(port)
        code, out, _ = run_dev(settings)
    assert code == 1, out
    assert f"port {port} is already in use" in out
    assert f"{busy_setting}=" in out and "make dev" in out
    assert processes_using(str(RUN_ROOT / RUN_NAME)) == []


def test_vite_failing_at_start_stops_what_had_started(tmp_path):
    broken = copy_frontend(tmp_path / "frontend")
    (broken / "vite.config.ts").write_text("throw new Error('broken on purpose')\n")
    name = f"tests/{os.getpid()}-dev-broken"
    stack = DevStack(
        stack_settings(VITE_PORT=free_port(), WEB_CONCURRENCY=1), name=name, quiet=True, frontend_dir=broken
    )
    with pytest.raises(StackError, match="vite exited during start-up"):
        stack.start()
    assert stack.procs == {}
    assert processes_using(str(RUN_ROOT / name)) == []


def test_vite_port_must_differ_from_http_port():
    with pytest.raises(StackError, match="VITE_PORT and HTTP_PORT are both 8000"):
        DevStack({"HTTP_PORT": "8000", "VITE_PORT": "8000"})
