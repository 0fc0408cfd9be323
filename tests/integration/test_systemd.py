"""`python -m stack systemd`: the units it writes pass `systemd-analyze verify`, and their
ExecStart commands, run with the units' environment file, start a stack that serves.

The units are written from a copy of the checkout in a folder everyone may enter, so the tests
do not depend on where this checkout lives (under /root or a mktemp -d folder, `nobody` could
not read it, and the command refuses: the last test runs that case on purpose).

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
import tempfile
import time
from pathlib import Path

import pytest
from dotenv import dotenv_values

from stack.env import ROOT
from support.copies import copy_checkout
from support.rawhttp import request
from support.stacks import runner_env, stack_settings

NAME = f"stacktest{os.getpid()}"


def checkout_copy(parent_mode, built_frontend):
    """A copy of the checkout (its build included) in a new folder of `parent_mode`."""
    parent = Path(tempfile.mkdtemp(prefix="stack-systemd-"))
    parent.chmod(parent_mode)
    project = copy_checkout(parent / "app")
    shutil.copytree(built_frontend, project / "frontend" / "dist")
    return project


def write_units(project, out, settings, user="nobody"):
    return subprocess.run(
        [sys.executable, "-m", "stack", "systemd", "--out", str(out), "--user", user, "--name", NAME],
        cwd=project,
        env=runner_env(settings),
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def units(built_frontend):
    """The units for a stack on a free port, written by the real command in a readable copy."""
    project = checkout_copy(0o755, built_frontend)
    settings = stack_settings()
    out = project / ".run" / "units"
    result = write_units(project, out, settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"wrote {NAME}-api.service, {NAME}-web.service, {NAME}.target, stack.env" in result.stdout
    yield out, int(settings["HTTP_PORT"])
    shutil.rmtree(project.parent)


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


def test_a_checkout_the_user_cannot_enter_is_refused(built_frontend):
    project = checkout_copy(0o700, built_frontend)
    try:
        out = project / ".run" / "units"
        result = write_units(project, out, stack_settings())
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"stack: error: --user nobody cannot enter {project.parent} (mode 0700), so it could not read the "
            f"checkout {project}: move the checkout under a folder others can enter (e.g. /srv/app), name a "
            f"--user that can read it, or let others through with 'chmod o+x {project.parent}'."
        ]
        assert not out.exists(), "nothing is written when the user cannot read the checkout"
    finally:
        shutil.rmtree(project.parent)
