"""`make up` natively, as a user sees it when a service dies: `python -m stack up` runs as a child
process, its gunicorn or nginx is killed from outside by pid, and the browser's view is checked.

Each test prints what it measured (time until the API answered again) with -s.
"""

import os
import re
import shutil
import signal
import time

import pytest

from stack.native import RUN_ROOT
from stack.supervision import CRASH_LIMIT
from support.processes import alive, processes_using
from support.rawhttp import request
from support.stacks import StackUp, stack_settings


@pytest.fixture
def up(built_frontend, tmp_path, request):
    """Start `python -m stack up` on free ports; Ctrl-C at the end, and nothing may be left."""
    runs = []

    def start(extra_env=None, wait=True, **settings):
        name = f"tests/{os.getpid()}-sup-{request.node.name[:20]}-{len(runs)}"
        name = re.sub(r"[^A-Za-z0-9_./-]", "-", name)
        run = StackUp(stack_settings(**settings), name, tmp_path / f"up-{len(runs)}.out", extra_env).__enter__()
        runs.append(run)
        return run.wait_until_serving() if wait else run

    yield start
    for run in runs:
        run.__exit__(None, None, None)
        left = [pid for pid in run.seen if alive(pid)]
        assert left == [], f"left running after `stack up` ended: {left}\n{run.output()}"
        assert processes_using(str(RUN_ROOT / run.name)) == []
        shutil.rmtree(RUN_ROOT / run.name, ignore_errors=True)


def pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def poll_while_recovering(run, old_pid, name, timeout=30):
    """Ask for the SPA and the API every 50 ms until `name` runs under a new pid and the API
    answers 200; returns (seconds taken, API statuses seen, SPA statuses seen, API bodies)."""
    started = time.monotonic()
    api, spa, bodies = [], [], []
    while time.monotonic() - started < timeout:
        try:
            answer = request(run.port, "/api/health", timeout=5)
            api.append(answer.status)
            if answer.status != 200:
                bodies.append((answer.header("Content-Type"), answer.json()))
        except OSError as exc:
            api.append(type(exc).__name__)
        try:
            spa.append(request(run.port, "/about", timeout=5).status)
        except OSError as exc:
            spa.append(type(exc).__name__)
        new_pid = run.program_pid(name)
        if api[-1] == 200 and new_pid not in (None, old_pid) and len(api) > 1:
            return time.monotonic() - started, api, spa, bodies
        time.sleep(0.05)
    pytest.fail(f"{name} not back within {timeout} s; API {api[-10:]}, SPA {spa[-10:]}\n{run.output()}")


@pytest.mark.parametrize("whole_group", [False, True], ids=["master-only", "master-and-workers"])
def test_kill_9_of_gunicorn_keeps_the_spa_and_the_api_comes_back(up, whole_group):
    run = up()
    gunicorn, nginx = run.program_pid("gunicorn"), run.program_pid("nginx")
    assert gunicorn and nginx
    run.note_processes()
    # Only the master (its workers are orphaned), or every process of it as the OOM killer may.
    if whole_group:
        os.killpg(gunicorn, signal.SIGKILL)
    else:
        os.kill(gunicorn, signal.SIGKILL)
    took, api, spa, bodies = poll_while_recovering(run, gunicorn, "gunicorn")
    # With the master alone killed its old workers answer meanwhile: `took` is when the new
    # master is seen; events.log says when supervisord counted it as running.
    print(
        f"\ngunicorn kill -9 ({'group' if whole_group else 'master'}): a new master and a 200 after "
        f"{took:.2f} s; API statuses {api}"
    )
    assert set(spa) == {200}, f"the SPA failed while gunicorn restarted: {spa}"
    assert set(api) <= {200, 502, 503}, api
    for content_type, body in bodies:
        assert content_type == "application/json" and body["status"] in (502, 503)
    if whole_group:
        assert 502 in api, "nothing answered in between, so the JSON 502 was never seen"
    assert run.program_pid("nginx") == nginx, "nginx was restarted too"
    assert took < 20
    out = run.wait_for_output("gunicorn exited unexpectedly (terminated by SIGKILL); restarting it")
    assert f"Its log: .run/{run.name}/gunicorn.log" in out


def test_kill_9_of_nginx_restarts_it_and_its_old_workers_go(up):
    run = up()
    nginx, gunicorn = run.program_pid("nginx"), run.program_pid("gunicorn")
    run.note_processes()
    killed = time.monotonic()
    os.kill(nginx, signal.SIGKILL)  # its workers stay behind, holding the port
    # They get SIGQUIT: they finish what they serve and go, and the new master binds the port.
    deadline = killed + 15
    while old_workers := [pid for pid in run.seen if alive(pid) and pgid(pid) == nginx]:
        assert time.monotonic() < deadline, f"nginx's old workers still run: {old_workers}"
        time.sleep(0.1)
    spa = []
    while True:
        try:
            spa.append(request(run.port, "/about", timeout=5).status)
        except OSError as exc:
            spa.append(type(exc).__name__)
        if spa[-1] == 200:
            break
        assert time.monotonic() < killed + 20, f"the SPA is not back: {spa[-10:]}\n{run.output()}"
        time.sleep(0.05)
    print(
        f"\nnginx kill -9: old workers gone and the SPA served by the new nginx "
        f"{time.monotonic() - killed:.2f} s after the kill; statuses after the old workers went: {spa}"
    )
    assert run.program_pid("nginx") not in (None, nginx)
    assert run.program_pid("gunicorn") == gunicorn, "gunicorn was restarted too"
    assert request(run.port, "/api/health").status == 200
    out = run.wait_for_output("nginx exited unexpectedly (terminated by SIGKILL)")
    assert f"Its log: .run/{run.name}/error.log" in out


def test_too_many_crashes_stop_everything_naming_the_cause_and_the_log(up):
    run = up()
    for crash in range(CRASH_LIMIT):
        # Each time once the runner said it runs again (supervisord counts it as started).
        deadline = time.monotonic() + 30
        while run.output().count("gunicorn runs again") < crash or not run.api_ok():
            assert run.proc.poll() is None, f"stopped after {crash} crashes:\n{run.output()}"
            assert time.monotonic() < deadline, run.output()
            time.sleep(0.1)
        run.note_processes()
        os.kill(run.program_pid("gunicorn"), signal.SIGKILL)
    assert run.wait(60) == 1
    out = run.output()
    message = [line for line in out.splitlines() if line.startswith("stack: error: ")]
    assert message == [
        f"stack: error: gunicorn crashed (terminated by SIGKILL): {CRASH_LIMIT} crashes within 60 s, "
        f"so the stack stops rather than restart it again. Read .run/{run.name}/gunicorn.log."
    ], out
    assert "Traceback" not in out


def test_gunicorn_failing_on_restart_is_given_up_and_everything_stops(up, tmp_path):
    """A restart that fails (the app broke since it started) is retried, then the stack stops
    with the reason: supervisord gives up (FATAL) when gunicorn exits within its first second
    each time, the crash limit stops it when gunicorn takes longer to fail (a busy machine)."""
    app = tmp_path / "app-override"
    app.mkdir()
    (app / "wsgi.py").write_text("from app import create_app\n\napp = create_app()\n")
    run = up(extra_env={"GUNICORN_CMD_ARGS": f"--pythonpath {app}"})
    (app / "wsgi.py").write_text("raise RuntimeError('broken on purpose')\n")
    os.kill(run.program_pid("gunicorn"), signal.SIGKILL)
    assert run.wait(90) == 1
    out = run.output()
    # gunicorn exits 3 when a worker fails to boot (1 when that happens while it handles another error).
    errors = [line for line in out.splitlines() if line.startswith("stack: error: ")]
    assert len(errors) == 1, out
    assert re.fullmatch(
        r"stack: error: gunicorn (could not be restarted: it exited at start-up again and again "
        rf"\(exit status [13]\)|crashed \(exit status [13]\): {CRASH_LIMIT} crashes within 60 s, so the stack stops "
        rf"rather than restart it again)\. Read \.run/{re.escape(run.name)}/gunicorn\.log\.",
        errors[0],
    ), errors[0]
    assert "broken on purpose" in (RUN_ROOT / run.name / "gunicorn.log").read_text()


@pytest.mark.parametrize(
    "gunicorn_args, status",
    [
        pytest.param("--pythonpath {broken}", "[13]", id="bad-app"),
        pytest.param("--worker-class no.such.Worker", "1", id="exits-1"),
    ],
)
def test_gunicorn_failing_at_start_gives_a_clear_error(up, tmp_path, gunicorn_args, status):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "wsgi.py").write_text("raise RuntimeError('broken on purpose')\n")
    run = up(extra_env={"GUNICORN_CMD_ARGS": gunicorn_args.format(broken=broken)}, wait=False)
    assert run.wait(120) == 1
    out = run.output()
    assert re.search(
        rf"^stack: error: gunicorn exited during start-up \(exit status {status}\)\. Last lines of "
        rf"\.run/{re.escape(run.name)}/gunicorn\.log:$",
        out,
        re.M,
    ), out
    assert 'File "' + str(RUN_ROOT.parent / "stack") not in out  # no traceback of the runner
    assert "nginx ready" not in out


@pytest.mark.parametrize("access_log", ["", "1"], ids=["quiet", "access-log"])
def test_output_is_one_line_per_service_and_requests_only_when_asked(up, access_log):
    run = up(ACCESS_LOG=access_log, WEB_CONCURRENCY=2, GUNICORN_TIMEOUT=61)
    marker = f"/api/request-marker-{os.getpid()}"
    assert request(run.port, marker).status == 404
    assert request(run.port, "/about").status == 200
    time.sleep(1)  # the runner echoes the logs every 0.2 s
    out = run.output()
    ready = [line for line in out.splitlines() if " ready " in line]
    assert [line.split()[1] for line in ready] == ["gunicorn", "nginx"], out
    assert "[WEB_CONCURRENCY=2, GUNICORN_THREADS=2, GUNICORN_TIMEOUT=61, " in ready[0]
    assert f"log .run/{run.name}/gunicorn.log" in ready[0]
    assert f"at http://localhost:{run.port}/" in ready[1] and f".run/{run.name}/access.log" in ready[1]
    shown = [line for line in out.splitlines() if marker in line]
    if access_log:
        assert len(shown) == 1 and shown[0].startswith("request: ") and " 404 " in shown[0], out
    else:
        assert shown == [], out
    # The files have every request either way.
    assert marker in (RUN_ROOT / run.name / "access.log").read_text()


def test_runner_killed_with_sigkill_leaves_nothing_running(up):
    """supervisord gets SIGTERM when the runner dies (PR_SET_PDEATHSIG) and stops every program."""
    run = up()
    run.note_processes()
    assert len(run.seen) >= 5, "expected supervisord, its listener, gunicorn with workers, nginx with workers"
    os.kill(run.proc.pid, signal.SIGKILL)
    run.wait(10)
    deadline = time.monotonic() + 60
    while left := [pid for pid in run.seen if alive(pid)]:
        assert time.monotonic() < deadline, f"still running 60 s after the runner was killed: {left}"
        time.sleep(0.2)
