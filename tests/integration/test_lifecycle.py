"""Starting and stopping: API down and back, no process left behind, failed starts."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from stack.env import ROOT, SETTING_NAMES
from stack.native import NativeStack
from support.processes import alive, descendants, processes_using
from support.rawhttp import request
from support.stacks import stack_settings


def test_api_down_gives_json_502_while_the_spa_still_loads(start_stack):
    stack = start_stack()
    stack.stop_process("gunicorn")
    down = request(stack.port, "/api/result")
    assert down.status == 502
    assert down.header("Content-Type") == "application/json"
    assert down.json() == {
        "error": "Bad Gateway",
        "message": "The API is not reachable: it is down or restarting.",
        "status": 502,
    }
    assert request(stack.port, "/about").status == 200

    # Back as soon as gunicorn is, with no nginx restart.
    nginx_pid = stack.pids()["nginx"]
    stack.start_api()
    assert request(stack.port, "/api/result").status == 200
    assert stack.pids()["nginx"] == nginx_pid


def test_stop_leaves_no_process_behind(built_frontend):
    stack = NativeStack(stack_settings(), name=f"tests/{os.getpid()}-stop", quiet=True, build=False).start()
    pids = []
    for pid in stack.pids().values():
        pids += [pid, *descendants(pid)]
    assert len(pids) >= 4, "expected nginx and gunicorn masters with their workers"
    stack.stop()
    time.sleep(0.2)
    assert [pid for pid in pids if alive(pid)] == []


# The run folder of `stack up` in these tests: its own, so a `make up` beside them is untouched.
RUN_NAME = f"tests/{os.getpid()}-up"


def run_up(settings, send=None, timeout=60):
    """Run `python -m stack up` as `make up` does; optionally signal it once it serves."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(STACK="native", PYTHONUNBUFFERED="1")
    env.update(settings)
    proc = subprocess.Popen([sys.executable, "-m", "stack", "up", "--name", RUN_NAME], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    if send:
        port = int(settings["HTTP_PORT"])
        deadline = time.monotonic() + timeout
        while request_ok(port) is False:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        children = descendants(proc.pid)
        os.kill(proc.pid, send)
    else:
        children = []
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out, children


def request_ok(port):
    try:
        return request(port, "/api/health", timeout=2).status == 200
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_up_stops_everything_on_signal(built_frontend, sig):
    code, out, children = run_up(stack_settings(), send=sig)
    assert code == 0, out
    assert "nothing left running" in out
    assert len(children) >= 4
    time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []


def test_port_in_use_is_refused_and_nothing_starts(built_frontend):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, _ = run_up(stack_settings(HTTP_PORT=port))
    assert code == 1
    assert f"port {port} is already in use" in out
    assert "HTTP_PORT=" in out
    assert processes_using(str(ROOT / ".run" / RUN_NAME)) == []


@pytest.mark.parametrize(
    "setting, message",
    [
        pytest.param({"TRUSTED_PROXIES": "10.0.0.0/8, not-an-ip"}, "TRUSTED_PROXIES holds 'not-an-ip'", id="trusted-proxies"),
        pytest.param({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES holds '10.0.0.0/33'", id="cidr-too-long"),
        pytest.param({"API_PREFIX": "api/"}, "API_PREFIX='api/' is not a path prefix", id="api-prefix"),
        pytest.param({"MAX_BODY_SIZE": "1 MB"}, "MAX_BODY_SIZE='1 MB' is not a size", id="body-size"),
        pytest.param({"HTTP_PORT": "http"}, "HTTP_PORT='http' is not a TCP port", id="http-port"),
        pytest.param({"API_TIMEOUT": "90"}, "GUNICORN_TIMEOUT=60 must be above API_TIMEOUT=90", id="timeouts"),
        pytest.param({"API_TIMEOUT": "99999999999999999999"}, "nginx rejects the rendered config", id="nginx-config-error"),
        pytest.param({"STACK": "podman"}, "STACK='podman'", id="stack-mode"),
    ],
)
def test_bad_setting_stops_start_up_with_its_name(built_frontend, setting, message):
    code, out, _ = run_up(stack_settings(**setting))
    assert code == 1, out
    assert message in out
    assert "Traceback" not in out
    assert processes_using(str(ROOT / ".run" / RUN_NAME)) == []
