"""Starting and stopping: API down and back, no process left behind, failed starts."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from stack.env import ROOT
from stack.native import NativeStack
from support.bad_settings import BAD_VALUES
from support.processes import alive, descendants, processes_using
from support.rawhttp import request
from support.stacks import runner_env, stack_settings


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


def run_up(settings, send=None, timeout=60, run_name=RUN_NAME):
    """Run `python -m stack up` as `make up` does; optionally signal it once it serves."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack", "up", "--name", run_name],
        cwd=ROOT,
        env=runner_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
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


@pytest.mark.parametrize("name, value, message", BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_bad_setting_gets_one_line_and_nothing_is_built_or_started(name, value, message):
    run_name = f"tests/{os.getpid()}-bad-{name}"
    code, out, _ = run_up(stack_settings(**{name: value}), run_name=run_name)
    assert code == 1, out
    # One line, before the mode is chosen, the SPA built or anything started.
    assert out.splitlines() == [out.strip()] and out.startswith(f"stack: error: {message}"), out
    assert not (ROOT / ".run" / run_name).exists()


def test_several_bad_settings_are_listed_together():
    code, out, _ = run_up(
        stack_settings(WEB_CONCURRENCY="zero", GUNICORN_WORKER_CLASS="nope", GUNICORN_LOG_LEVEL="loud")
    )
    assert code == 1
    assert out.splitlines() == [
        "stack: error: WEB_CONCURRENCY='zero' must be a whole number from 1 to 256.",
        "stack: error: GUNICORN_WORKER_CLASS='nope' is not a worker class: use one of gthread, sync.",
        "stack: error: GUNICORN_LOG_LEVEL='loud' is not a log level: use one of debug, info, warning, error, critical.",
    ]
