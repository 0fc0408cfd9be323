"""`python -m stack systemd`: the units it writes pass `systemd-analyze verify`, and their
ExecStart commands, run with the units' environment file, start a stack that serves.

Not tested here (no systemd runs as PID 1 on these machines): systemd starting the units,
User=/Group=, Restart= and the start limit, KillMode=mixed, RuntimeDirectory=, the sandboxing
options and AmbientCapabilities.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest
from dotenv import dotenv_values

from stack.env import ROOT
from support.rawhttp import request
from support.stacks import runner_env, stack_settings

NAME = f"stacktest{os.getpid()}"


@pytest.fixture
def units(built_frontend, tmp_path):
    """The units for a stack on a free port, written by the real command."""
    settings = stack_settings()
    out = tmp_path / "units"
    result = subprocess.run(
        [sys.executable, "-m", "stack", "systemd", "--out", str(out), "--user", "nobody", "--name", NAME],
        cwd=ROOT,
        env=runner_env(settings),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"wrote {NAME}-api.service, {NAME}-web.service, {NAME}.target, stack.env" in result.stdout
    return out, int(settings["HTTP_PORT"])


def directives(path):
    """{key: [values]} of a unit file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def command(value):
    """An Exec line as systemd runs it: shell-like quoting, $$ and %% unescaped."""
    return [arg.replace("$$", "$").replace("%%", "%") for arg in shlex.split(value)]


def test_units_pass_systemd_analyze_verify(units):
    out, _ = units
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing (make test installs systemd)"
    files = [out / f"{NAME}-api.service", out / f"{NAME}-web.service", out / f"{NAME}.target"]
    result = subprocess.run(["systemd-analyze", "verify", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # The one warning allowed: this test names the user nobody (a real host names its own).
    problems = [line for line in result.stderr.splitlines() if line and "Special user nobody" not in line]
    assert problems == []


def test_units_restart_and_run_without_root(units):
    out, _ = units
    for unit in ("api", "web"):
        found = directives(out / f"{NAME}-{unit}.service")
        assert found["Restart"] == ["always"] and found["KillMode"] == ["mixed"]
        assert found["User"] == ["nobody"]
        assert found["StartLimitBurst"] and found["StartLimitIntervalSec"]
    assert directives(out / f"{NAME}-web.service")["KillSignal"] == ["SIGQUIT"]


def test_exec_start_commands_serve_the_stack(units):
    out, port = units
    env = {"PATH": os.environ["PATH"], **dotenv_values(out / "stack.env")}
    api, web = directives(out / f"{NAME}-api.service"), directives(out / f"{NAME}-web.service")
    run_dir = f"/run/{NAME}"  # what RuntimeDirectory= makes
    os.makedirs(run_dir, exist_ok=True)
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                command(api["ExecStart"][0]),
                cwd=api["WorkingDirectory"][0],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        subprocess.run(command(web["ExecStartPre"][0]), env=env, check=True)
        procs.append(subprocess.Popen(command(web["ExecStart"][0]), env=env, start_new_session=True))
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "/api/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.2)
        assert request(port, "/about").status == 200
        assert os.path.exists(f"{run_dir}/gunicorn.sock")
    finally:
        for proc, sig in zip(procs, (signal.SIGTERM, signal.SIGQUIT), strict=False):
            try:
                os.killpg(proc.pid, sig)  # KillSignal= of each unit
                proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    assert [p.returncode for p in procs] == [0, 0]


def test_root_is_refused_as_the_service_user():
    result = subprocess.run(
        [sys.executable, "-m", "stack", "systemd", "--user", "root"],
        cwd=ROOT,
        env=runner_env(stack_settings()),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "stack: error: --user root: the services should run as a user without privileges (e.g. --user www-data)."
    ]
