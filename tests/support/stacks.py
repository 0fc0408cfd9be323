"""Settings for the native stacks that the integration tests start, and `python -m stack up`
run as a user runs it (a child process on free loopback ports)."""

import os
import signal
import subprocess
import sys
import time

from stack.env import ROOT
from stack.native import free_port
from stack.settings import SETTING_NAMES
from support.processes import descendants
from support.rawhttp import request


def stack_settings(**overrides):
    """Defaults of the template with small worker counts and a free port, and gunicorn's access
    log on: tests read it to see what reached gunicorn. Overrides win."""
    settings = {
        "HTTP_PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "1",
    }
    settings.update({k: str(v) for k, v in overrides.items()})
    return settings


def runner_env(settings, **extra):
    """The environment of `make up` for these settings: none of the caller's own settings."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(STACK="native", PYTHONUNBUFFERED="1", **extra)
    env.update(settings)
    return env


class StackUp:
    """`python -m stack up --name NAME` in the background, its output in a file.

    with StackUp(settings, name, out_file) as run: ... waits until /api/health answers 200;
    leaving the block sends Ctrl-C (SIGINT) if it still runs and waits for it to end.
    """

    def __init__(self, settings, name, out_file, extra_env=None):
        self.settings = settings
        self.port = int(settings["HTTP_PORT"])
        self.name = name
        self.out_file = out_file
        self.extra_env = extra_env or {}
        self.proc = None
        self.seen = set()  # every process seen below the runner

    def __enter__(self):
        self._out = open(self.out_file, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stack", "up", "--name", self.name],
            cwd=ROOT,
            env=runner_env(self.settings, **self.extra_env),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        return self

    def wait_until_serving(self, timeout=120):
        """Until the runner says it runs (every service ready) and the API answers 200."""
        deadline = time.monotonic() + timeout
        while "stack: running (" not in self.output() or not self.api_ok():
            assert self.proc.poll() is None, f"`stack up` ended (exit {self.proc.returncode}):\n{self.output()}"
            assert time.monotonic() < deadline, f"not serving after {timeout} s:\n{self.output()}"
            time.sleep(0.2)
        self.note_processes()
        return self

    def api_ok(self):
        try:
            return request(self.port, "/api/health", timeout=2).status == 200
        except OSError:
            return False

    def note_processes(self):
        self.seen.update(descendants(self.proc.pid))

    def output(self):
        self._out.flush()
        return open(self.out_file).read()

    def wait_for_output(self, text, timeout=10):
        """The output once it holds `text` (the runner echoes its logs every 0.2 s)."""
        deadline = time.monotonic() + timeout
        while text not in (out := self.output()):
            assert time.monotonic() < deadline, f"{text!r} not in the output:\n{out}"
            time.sleep(0.1)
        return out

    def program_pid(self, name):
        """The pid of supervisord's program `name` (gunicorn, nginx), found from outside via /proc."""
        for pid in descendants(self.proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{ppid}/cmdline", "rb") as f:
                    parent = f.read()
            except OSError:
                continue
            # nginx rewrites its command line to "nginx: master process ...".
            word = name.encode()
            if b"supervisor.supervisord" in parent and any(
                arg.endswith(word) or arg.startswith(word + b":") for arg in argv[:3]
            ):
                return pid
        return None

    def wait(self, timeout=90):
        try:
            self.proc.wait(timeout)
        finally:
            self._out.flush()
        return self.proc.returncode

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.note_processes()
            os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._out.close()
