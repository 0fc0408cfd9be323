"""`make up`, Ctrl-C, `make up` again and `make down` in Docker mode, as a user types them,
with no .env: compose publishes on loopback (COMPOSE_FILE adds tests/docker/loopback.yml)
under a project name of its own. HTTP_PORT is left at its default, 8000, when that is free."""

import os
import signal
import socket
import subprocess
import time

import pytest

from stack.env import ROOT
from stack.native import free_port
from stack.settings import SETTING_NAMES
from support.docker.compose import LOOPBACK, project_name
from support.rawhttp import request


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture(scope="module")
def make_env(docker_stack):
    """The environment of `make`: Docker mode, this run's project and images, no settings."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES and not k.startswith("COMPOSE_")}
    # Images of its own: a rebuild under the shared stack's tag would make compose recreate
    # that stack's containers on its next `up`.
    env.update(
        STACK="docker",
        COMPOSE_PROJECT_NAME=project_name("-make"),
        COMPOSE_FILE=f"docker-compose.yml:{LOOPBACK.relative_to(ROOT)}",
        IMAGE_TAG=project_name("-make"),
    )
    if not port_is_free(8000):
        env["HTTP_PORT"] = str(free_port())
    yield env
    subprocess.run(
        ["docker", "compose", "down", "--volumes", "--rmi", "all", "--timeout", "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )


def public_port(env):
    return int(env.get("HTTP_PORT", 8000))


def project_containers(env, *options):
    listed = subprocess.run(
        ["docker", "compose", "ps", "--quiet", *options], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def start_make_up(env, timeout=600):
    """`make up` in the foreground (its own process group, as a terminal's job), serving."""
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "up"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if request(public_port(env), "/api/health", timeout=2).status == 200:
                return proc
        except OSError:
            pass
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "make up did not serve in time"
        time.sleep(0.5)


def make(env, target):
    return subprocess.run(
        ["make", "--no-print-directory", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def foreground():
    """The `make up` processes a test starts; any still running at its end are stopped."""
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_ctrl_c_stops_make_up_and_make_up_again_works_and_make_down_removes_it(make_env, foreground):
    port = public_port(make_env)
    first = start_make_up(make_env)
    foreground.append(first)
    assert request(port, "/api/").header("Location") == f"http://localhost:{port}/api/result"
    assert request(port, "/").status == 200

    # Ctrl-C: the terminal sends SIGINT to the foreground job's process group.
    os.killpg(first.pid, signal.SIGINT)
    output, _ = first.communicate(timeout=120)
    assert "a Docker engine answers" in output and "no Docker engine answers" not in output
    assert "stack: stopped; the containers are kept" in output, output
    assert "panic" not in output and "goroutine" not in output, output
    assert project_containers(make_env) == [], "Ctrl-C left containers running"
    assert project_containers(make_env, "--all"), "compose stops on Ctrl-C; make down removes"

    second = start_make_up(make_env)
    foreground.append(second)
    assert request(port, "/api/result").status == 200
    down = make(make_env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert project_containers(make_env, "--all") == []
    second.communicate(timeout=120)

    again = make(make_env, "down")
    assert again.returncode == 0
    assert "nothing to stop" in again.stdout


def test_bad_setting_stops_make_up_before_anything_is_built(make_env):
    subprocess.run(["docker", "compose", "down"], cwd=ROOT, env=make_env, capture_output=True)
    result = make({**make_env, "API_PREFIX": "api/"}, "up")
    assert result.returncode != 0
    assert "API_PREFIX='api/' is not a path prefix" in result.stdout + result.stderr
    assert "docker compose" not in result.stdout, "compose ran despite the bad setting"
    assert project_containers(make_env, "--all") == []


def test_engine_without_compose_v2_gets_one_clear_message(make_env, tmp_path):
    # The plugin folders hidden in a mount namespace of our own: the engine answers, the
    # docker client finds no compose plugin.
    folders = [
        f
        for f in (
            "/usr/local/lib/docker/cli-plugins",
            "/usr/local/libexec/docker/cli-plugins",
            "/usr/lib/docker/cli-plugins",
            "/usr/libexec/docker/cli-plugins",
        )
        if os.path.isdir(f)
    ]
    home = tmp_path / "home"
    home.mkdir()
    hide = "; ".join(f"mount -t tmpfs tmpfs {f}" for f in folders)
    script = f"{hide}; docker compose version >/dev/null 2>&1 && exit 99; exec make --no-print-directory up"
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        cwd=ROOT,
        env={**make_env, "HOME": str(home), "DOCKER_CONFIG": str(home / ".docker")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode == 99 or "unshare failed" in result.stderr:
        pytest.skip(f"cannot hide the Compose plugin here: {result.stderr.strip()}")
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "the Compose v2 plugin does not" in message and "STACK=native" in message, message
    assert "unknown flag" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "ctrl-c-again", "sigterm"]
)
def test_stopping_make_up_never_shows_a_compose_stack_trace(make_env, foreground, sig):
    """Compose 2.26's own Ctrl-C handling panicked in about one stop of three here
    (docker/compose#11710); the runner keeps the signal from compose and stops the containers itself."""
    proc = start_make_up(make_env)
    foreground.append(proc)
    started = time.monotonic()
    os.killpg(proc.pid, sig)
    output, _ = proc.communicate(timeout=120)
    print(f"stopped in {time.monotonic() - started:.1f} s")
    assert "stack: stopping the containers (docker compose stop)" in output, output
    assert "stack: stopped; the containers are kept" in output, output
    assert "panic" not in output and "goroutine" not in output, output
    assert project_containers(make_env) == []
