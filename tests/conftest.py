"""Fixtures shared by the integration suites: the built SPA and running native stacks."""

import collections
import itertools
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest
from filelock import FileLock

from stack import spa
from stack.errors import StackError
from stack.native import RUN_ROOT, NativeStack
from support.acme import nginx_edge, pebble
from support.browser import launch
from support.stacks import stack_settings

_names = itertools.count()
_started = time.monotonic()
_suite_seconds = collections.defaultdict(float)
_suite_tests = collections.Counter()
# Lines a test asks to print after the run (record_property("summary", ...)), e.g. schemathesis's.
_summaries = []


def _suite(nodeid):
    """The suite a test belongs to: its folder under tests/ (tests/test_*.py: "repository")."""
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else "repository"


# ---- parallel suites ---------------------------------------------------------------------------
# `make test` runs pytest-xdist workers, each taking one group at a time: a test module (its
# module fixtures start once, on one worker), or one of the two Docker groups, which go first
# because they take longest: the compose stack's users, and the rest of what needs the engine
# (images of its own, Swarm). The engine is shared: the first worker to need it starts it,
# under a lock, and the controller stops it at the very end (_stop_dockerd_we_started).
DOCKER_GROUPS = (
    ("tests/docker/test_https_overlay.py", "docker-engine"),
    ("tests/deploy/", "docker-engine"),
    ("tests/docker/", "docker-compose"),
)


def _group(nodeid):
    path = nodeid.split("::", 1)[0]
    return next((group for prefix, group in DOCKER_GROUPS if path.startswith(prefix)), path)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not _group(item.nodeid).startswith("docker-"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's loadscope, with the groups above as its scopes (its own loadgroup marks do not
    take with pytest 9, which no longer lets a plugin rename a test's node id)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _group(nodeid)

    return GroupScheduling(config, log)


def pytest_configure(config):
    # One id for the whole run, inherited by the workers: files shared across them carry it.
    if not hasattr(config, "workerinput"):
        os.environ["STACK_TEST_RUN"] = uuid.uuid4().hex[:12]


def _dockerd_pid_file():
    return RUN_ROOT / "tests" / f"dockerd-{os.environ['STACK_TEST_RUN']}.pid"


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):
        _leave_swarm()
        _stop_dockerd_we_started()
        (RUN_ROOT / "tests" / f"docker-{os.environ['STACK_TEST_RUN']}.lock").unlink(missing_ok=True)


def _leave_swarm():
    """Leave the swarm this run made, once every worker is done (see tests/deploy/test_swarm.py)."""
    from support.docker.engine import swarm_marker

    marker = swarm_marker()
    if not marker.exists():
        return
    marker.unlink()
    subprocess.run(["docker", "swarm", "leave", "--force"], capture_output=True, timeout=120)
    # The bridge Swarm made for its containers' egress; still in use by another swarm's: kept.
    subprocess.run(["docker", "network", "rm", "docker_gwbridge"], capture_output=True, timeout=60)


def _stop_dockerd_we_started():
    """Stop the dockerd a worker of this run started (after every worker has finished)."""
    pid_file = _dockerd_pid_file()
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.2)
    if os.path.exists(f"/proc/{pid}"):
        os.kill(pid, signal.SIGKILL)


def pytest_runtest_logreport(report):
    # Setup, call and teardown, on whichever worker ran them (xdist reports them here too).
    _suite_seconds[_suite(report.nodeid)] += report.duration
    if report.when == "call":
        _suite_tests[_suite(report.nodeid)] += 1
        _summaries.extend(value for name, value in report.user_properties if name == "summary")


def pytest_terminal_summary(terminalreporter):
    """One line per suite: its tests and the seconds they took (summed, so parallel suites add
    up to more than the wall time, printed last), after the summaries the tests recorded."""
    for line in _summaries:
        terminalreporter.write_line(line)
    if not _suite_seconds:
        return
    for suite, seconds in sorted(_suite_seconds.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"suite time: {suite:<12} {_suite_tests[suite]:>4} tests {seconds:7.1f} s")
    terminalreporter.write_line(f"suite time: wall clock of the whole run {time.monotonic() - _started:.1f} s")


@pytest.fixture(scope="session")
def built_frontend():
    """frontend/dist built once for the default prefix (npm ci + vite build when stale); one
    worker builds while the others wait."""
    (RUN_ROOT / "tests").mkdir(parents=True, exist_ok=True)
    with FileLock(RUN_ROOT / "tests" / "spa-build.lock"):
        return spa.build({"API_PREFIX": "/api"})


@pytest.fixture(scope="session")
def start_stack(built_frontend):
    """Start a native stack with extra settings; every stack started is stopped at the end."""
    started = []

    def start(**overrides):
        # A folder per test session: several sessions may run at once on one checkout.
        name = f"tests/{os.getpid()}-{next(_names)}"
        for attempt in range(3):
            stack = NativeStack(stack_settings(**overrides), name=name, quiet=True, build=False)
            try:
                stack.start()
            except StackError as exc:
                # Another process took the free port between choosing and binding it.
                if "already in use" not in str(exc) or "HTTP_PORT" in overrides or attempt == 2:
                    raise
                continue
            started.append(stack)
            return stack

    yield start
    for stack in started:
        stack.stop()
    # Every folder this session made under .run/tests (stacks and `stack up` runs alike).
    for folder in (RUN_ROOT / "tests").glob(f"{os.getpid()}-*"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright():
    """Playwright for the session (its sync API cannot run twice at once in one process)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright):
    """One headless Chromium for the session, shared by tests/e2e and tests/dev."""
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def stack(start_stack):
    """The default stack (no trusted proxies), shared by the tests that only read from it."""
    return start_stack()


@pytest.fixture(scope="session")
def docker_engine():
    """A Docker engine with Compose v2 and every base image (started, installed or built as
    look-alikes when missing; see support/docker). Skips, naming the reason, when Docker cannot
    run here. A dockerd started here is stopped once the whole run is over, not by this worker."""
    from support.docker import DockerUnavailable, ensure_base_images, ensure_compose, ensure_engine

    (RUN_ROOT / "tests").mkdir(parents=True, exist_ok=True)
    with FileLock(RUN_ROOT / "tests" / f"docker-{os.environ['STACK_TEST_RUN']}.lock"):
        try:
            engine = ensure_engine()
            if engine.process is not None:
                _dockerd_pid_file().write_text(str(engine.process.pid))
            engine.compose_version = ensure_compose()
            engine.base_images = ensure_base_images()
        except DockerUnavailable as exc:
            pytest.skip(f"DOCKER TESTS NOT RUN: {exc}")
    print(
        f"\ndocker: engine {engine.server_version}, compose {engine.compose_version}, base images {engine.base_images}",
        flush=True,
    )
    return engine


@pytest.fixture(scope="session")
def acme_edge(built_frontend, tmp_path_factory):
    """make https's native stack (nginx terminating TLS, lego beside it) with a certificate for
    support.acme.DOMAIN issued by a Pebble of its own."""
    folder = tmp_path_factory.mktemp("acme")
    name = f"tests/{os.getpid()}-acme-edge"
    with pebble(folder / "pebble") as ca, nginx_edge(ca, name) as edge:
        print(
            f"\ntime to certificate (lego started to a served Pebble certificate): {edge.seconds_to_certificate:.2f} s"
        )
        yield edge
    shutil.rmtree(RUN_ROOT / name, ignore_errors=True)
