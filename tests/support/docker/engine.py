"""A Docker engine and the Compose v2 plugin for the tests, installed and started when missing.

ensure_engine(): when `docker info` fails and this runs as root on Debian, install docker.io
and start a dockerd of our own (logged to a file); Engine.stop() stops only that one.
ensure_compose(): when `docker compose version` fails, install the Compose v2 plugin from
Debian trixie's docker-compose package, leaving the system's package set alone.
Either raises DockerUnavailable with the reason when it cannot be done.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-q"]
# Where the docker CLI finds plugins (root: for every user).
PLUGIN_DIR = Path("/usr/local/lib/docker/cli-plugins") if os.geteuid() == 0 else Path.home() / ".docker/cli-plugins"
COMPOSE_SUITE = "trixie"


class DockerUnavailable(Exception):
    """Docker cannot run here; the message says why."""


def _run(args, timeout=60, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def _answers(args, timeout=20):
    try:
        return _run(args, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _can_apt():
    return os.geteuid() == 0 and shutil.which("apt-get") is not None and Path("/etc/debian_version").exists()


_apt_updated = False


def apt_install(*packages):
    """apt-get install from the system's sources (root on Debian only)."""
    global _apt_updated
    if not _can_apt():
        raise DockerUnavailable(f"{' '.join(packages)} missing and this is not root on Debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        subprocess.run([*APT, "update", "-qq"], check=False, env=env)
        _apt_updated = True
    result = subprocess.run(
        [*APT, "install", "-y", "-qq", "--no-install-recommends", *packages], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DockerUnavailable(f"apt-get install {' '.join(packages)} failed: {result.stderr.strip()[-500:]}")


@dataclass
class Engine:
    """The engine the tests use; `process` is set only when this harness started dockerd."""

    server_version: str
    compose_version: str = ""
    process: subprocess.Popen = None
    log: Path = None
    # {image: "present" | "pulled" | "look-alike"}, filled by the docker_engine fixture.
    base_images: dict = None

    def stop(self):
        """Stop the dockerd this harness started (and nothing else)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _server_version():
    result = _run(["docker", "version", "--format", "{{.Server.Version}}"], timeout=20)
    return result.stdout.strip() if result.returncode == 0 else ""


def _wait_for_engine(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(["docker", "info"], timeout=10):
            return True
        time.sleep(1)
    return False


def _other_dockerd_running():
    """A dockerd that someone else started (its pid file names a live process)."""
    try:
        pid = int(Path("/var/run/docker.pid").read_text())
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def ensure_engine(log_dir=None):
    """An Engine that answers `docker info`, started here when none does (see module doc)."""
    if shutil.which("docker") and _answers(["docker", "info"]):
        return Engine(server_version=_server_version())
    if shutil.which("docker") and _other_dockerd_running() and _wait_for_engine(60):
        return Engine(server_version=_server_version())
    if not _can_apt():
        raise DockerUnavailable(
            "no Docker engine answers ('docker info' fails), and installing one "
            "needs root on Debian (apt-get install docker.io)"
        )
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        print("docker harness: installing docker.io with apt-get ...", flush=True)
        apt_install("docker.io")
    if _answers(["docker", "info"]) or (_other_dockerd_running() and _wait_for_engine(60)):
        # The package's own service came up (or someone else's dockerd did).
        return Engine(server_version=_server_version())
    log = Path(log_dir or tempfile.gettempdir()) / f"dockerd-{os.getpid()}.log"
    print(f"docker harness: starting dockerd (log: {log}) ...", flush=True)
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["dockerd"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    engine = Engine(server_version="", process=process, log=log)
    if not _wait_for_engine(90):
        engine.stop()
        raise DockerUnavailable(f"dockerd did not answer within 90 s; see {log}:\n{log.read_text()[-1500:]}")
    engine.server_version = _server_version()
    return engine


def compose_version():
    result = _run(["docker", "compose", "version", "--short"], timeout=20) if shutil.which("docker") else None
    return result.stdout.strip() if result is not None and result.returncode == 0 else ""


def ensure_compose():
    """The Compose v2 plugin's version, installed from Debian trixie's docker-compose when
    `docker compose version` fails (an apt-get with its own sources list and lists folder:
    the system's sources and packages stay as they are)."""
    version = compose_version()
    if version:
        return version
    if not _can_apt():
        raise DockerUnavailable(
            "the Compose v2 plugin is missing ('docker compose version' fails), and installing it needs root on Debian"
        )
    print(f"docker harness: installing the Compose v2 plugin from Debian {COMPOSE_SUITE} ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = tmp / "sources.list"
        sources.write_text(
            f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
            f"http://deb.debian.org/debian {COMPOSE_SUITE} main\n"
        )
        (tmp / "lists/partial").mkdir(parents=True)
        options = [
            "-o",
            f"Dir::Etc::sourcelist={sources}",
            "-o",
            "Dir::Etc::sourceparts=-",
            "-o",
            f"Dir::State::Lists={tmp / 'lists'}",
            "-o",
            "Dir::Cache::pkgcache=",
            "-o",
            "Dir::Cache::srcpkgcache=",
        ]
        for step in (["update", "-qq"], ["download", "docker-compose"]):
            result = subprocess.run([*APT, *options, *step], cwd=tmp, capture_output=True, text=True)
            if result.returncode != 0:
                raise DockerUnavailable(
                    f"apt-get {step[0]} for docker-compose ({COMPOSE_SUITE}) failed: {result.stderr.strip()[-500:]}"
                )
        deb = next(tmp.glob("docker-compose_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "pkg")], check=True)
        PLUGIN_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tmp / "pkg/usr/libexec/docker/cli-plugins/docker-compose", PLUGIN_DIR / "docker-compose")
    version = compose_version()
    if not version:
        raise DockerUnavailable(f"the Compose plugin copied to {PLUGIN_DIR} does not answer 'docker compose version'")
    return version


def swarm_marker():
    """The file that says this test run made the engine's swarm (tests/deploy/test_swarm.py):
    the run's controller leaves that swarm at its very end (tests/conftest.py)."""
    from stack.native import RUN_ROOT

    return RUN_ROOT / "tests" / f"swarm-{os.environ['STACK_TEST_RUN']}"
