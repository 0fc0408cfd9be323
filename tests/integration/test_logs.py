"""`make logs` (python -m stack logs): the logs of the stack that runs, native or Docker."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from stack import docker as docker_mode
from stack.env import ROOT
from support.rawhttp import request
from support.stacks import StackUp, runner_env, stack_settings


def run_logs(*args, settings=None, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "stack", "logs", *args],
        cwd=ROOT,
        env=runner_env(settings or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **popen,
    )


def test_a_native_run_has_its_files_followed(tmp_path):
    name = f"tests/{os.getpid()}-logs"
    with StackUp(stack_settings(), name, tmp_path / "up.out") as run:
        run.wait_until_serving()
        follower = run_logs("--name", name)
        lines = []
        threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True).start()
        try:
            wait_for(lambda: any("==> .run/" in line for line in lines), lines)
            assert lines[0].startswith(f"stack: the native stack ({name}) runs: tail -F .run/{name}/gunicorn.log")
            for log in ("gunicorn", "access", "error", "events"):
                assert f"==> .run/{name}/{log}.log <==\n" in lines, log
            # A request made now reaches the terminal from nginx's access log and gunicorn's.
            marker = f"/api/logs-{uuid.uuid4().hex}"
            request(run.port, marker)
            wait_for(lambda: sum(marker in line for line in lines) == 2, lines)
        finally:
            os.killpg(follower.pid, signal.SIGTERM)
            follower.wait(10)


def wait_for(condition, lines, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.1)


def test_nothing_running_natively_is_one_line_naming_the_logs():
    follower = run_logs("--name", "tests/never-ran", settings={"STACK": "native"})
    out, _ = follower.communicate(timeout=30)
    assert follower.returncode == 1
    assert out.splitlines() == [
        "stack: error: no native stack (tests/never-ran) runs (STACK=native): start one with make up; "
        "the last native run's logs stay in .run/tests/never-ran/."
    ]


def test_in_docker_it_follows_every_compose_file_of_the_project():
    # The production, dev and https files, as make down uses them: whichever ran is followed.
    assert docker_mode.logs_command({}) == [
        "docker",
        "compose",
        "-f",
        "docker-compose.yml",
        "-f",
        "docker-compose.dev.yml",
        "-f",
        "docker-compose.https.yml",
        "logs",
        "-f",
        "--tail",
        "20",
    ]
