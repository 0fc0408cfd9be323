"""Which way `make up` runs the stack, said in one line: Docker when its engine answers, native
when there is no docker command, and a Docker that is installed but unusable (its engine down,
its socket refusing this user) named with the fix, never replaced by the native run in silence.

The docker client is real in each case; what it connects to is varied with DOCKER_HOST (a
socket nobody listens on; a socket that only another user may open, with this process's
permission override dropped by setpriv). tests/docker/test_engine_access.py checks the same
refusal against the real engine, as a user outside the docker group.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from stack.env import ROOT
from stack.settings import SETTING_NAMES
from support.processes import running
from support.stacks import stack_settings

pytestmark = pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker client")


def runner_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k != "DOCKER_HOST"}
    env.update(stack_settings(), STACK="", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def up(env, prefix=(), timeout=60):
    return subprocess.run(
        [*prefix, sys.executable, "-m", "stack", "up", "--name", f"tests/{os.getpid()}-mode"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("stack_mode", ["", "docker"])
def test_engine_down_is_named_with_the_fix(tmp_path, stack_mode):
    result = up(runner_env(STACK=stack_mode, DOCKER_HOST=f"unix://{tmp_path}/docker.sock"))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    start = "STACK=docker, but docker is installed" if stack_mode else "Docker is installed"
    assert line.startswith(f"stack: error: {start}, but no Docker engine answers (")
    assert "start the engine" in line and "STACK=native" in line
    assert "natively" not in result.stdout


@pytest.fixture
def refusing_socket(tmp_path):
    """A socket that only nobody may open (mode 0600), answered by socat."""
    sock = tmp_path / "docker.sock"
    tmp_path.chmod(0o755)
    with running(["socat", f"UNIX-LISTEN:{sock},mode=600,user=nobody,fork", "SYSTEM:true"]):
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert time.monotonic() < deadline, "socat made no socket"
            time.sleep(0.05)
        yield sock


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_a_socket_that_refuses_this_user_is_named_with_the_fix(refusing_socket):
    # Root without CAP_DAC_OVERRIDE is refused a socket of another user, as anyone outside the
    # docker group is refused the engine's.
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    result = up(runner_env(DOCKER_HOST=f"unix://{refusing_socket}"), prefix=drop)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "stack: error: Docker is installed, but this user may not use its engine (permission denied on its socket) ("
    )
    assert "docker group" in line and "sudo" in line and "STACK=native" in line


def test_no_docker_command_runs_natively_and_says_so(tmp_path):
    """PATH without a docker client: the native run, announced in one line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name != "docker" and not (bin_dir / name).exists():
                    (bin_dir / name).symlink_to(os.path.join(folder, name))
    env = runner_env(PATH=str(bin_dir))
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack", "up", "--name", f"tests/{os.getpid()}-nodocker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        first = proc.stdout.readline()
        assert first == "stack: no docker command on this machine: running natively (STACK=docker forces Docker)\n"
        for line in proc.stdout:
            if line.startswith("stack: running"):
                break
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, rest
    assert "nothing left running" in rest
