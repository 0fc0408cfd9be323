"""supervisord (PyPI `supervisor`) as the native run's process supervisor.

The runner writes a supervisord.conf into the run folder with one [program] per service
(gunicorn, nginx, and Vite in dev mode) and starts supervisord in the foreground as its child.
supervisord restarts a program that exits on its own (autorestart), with a growing delay when a
restart fails at once (startretries, its BACKOFF state), and stops the programs in reverse
priority order, each with its process group (stopasgroup/killasgroup). stack/crashwatch.py, an
event listener of the same supervisord, cleans up what a crashed master leaves behind and stops
everything after too many crashes. The runner talks to supervisord over its XML-RPC socket.
"""

import http.client
import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import time

# Only to our own supervisord, over its unix socket in the run folder (bandit's B411: untrusted XML).
import xmlrpc.client  # nosec B411
from dataclasses import dataclass, field

from .env import ROOT
from .errors import StackError

# Crashes allowed within CRASH_WINDOW seconds; one more stops the stack (stack/crashwatch.py).
CRASH_LIMIT = 5
CRASH_WINDOW = 60
# supervisord's states in which a program is not running and not on its way to it.
DOWN = {"BACKOFF", "EXITED", "FATAL", "STOPPED", "UNKNOWN"}
# What a call to supervisord's socket raises while it starts or after it stopped.
RPC_ERRORS = (OSError, xmlrpc.client.Error, http.client.HTTPException)


@dataclass
class Program:
    """One service under supervisord: its command, folder, log and how to stop it gracefully."""

    name: str
    command: list
    log: str  # its output
    read: str = ""  # the log a crash message points to (default: log)
    directory: str = str(ROOT)
    stop_signal: str = "TERM"
    priority: int = 10  # stopped in reverse order: the highest first
    stop_wait: int = 30
    extra: dict = field(default_factory=dict)


def _value(text):
    # supervisord expands %(name)s in its values; a literal % is written %%.
    return str(text).replace("%", "%%")


def render_config(run_dir, programs):
    """supervisord.conf for the programs, written into run_dir; returns its path."""
    sock = run_dir / "supervisor.sock"
    logs = " ".join(f"{p.name}={p.read or p.log}" for p in programs)
    signals = " ".join(f"{p.name}={p.stop_signal}" for p in programs)
    watch = [
        sys.executable,
        "-m",
        "stack.crashwatch",
        "--run-dir",
        str(run_dir),
        "--limit",
        str(CRASH_LIMIT),
        "--window",
        str(CRASH_WINDOW),
        "--logs",
        logs,
        "--signals",
        signals,
    ]
    lines = [
        "; Written by the stack runner (stack/supervision.py) on every start; edits are lost.",
        "[supervisord]",
        "nodaemon=true",
        "silent=true",
        f"logfile={_value(run_dir / 'supervisord.log')}",
        "logfile_maxbytes=5MB",
        "logfile_backups=1",
        f"pidfile={_value(run_dir / 'supervisord.pid')}",
        f"childlogdir={_value(run_dir)}",
        "",
        "[unix_http_server]",
        f"file={_value(sock)}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_value(sock)}",
        "",
        "[eventlistener:crashwatch]",
        f"command={_value(shlex.join(watch))}",
        f"directory={_value(ROOT)}",
        "events=PROCESS_STATE",
        "priority=1",
        "autorestart=true",
        "stdout_logfile=NONE",  # its stdout speaks supervisord's event protocol
        f"stderr_logfile={_value(run_dir / 'events.log')}",
        "stderr_logfile_maxbytes=1MB",
        "",
    ]
    for program in programs:
        options = {
            "command": shlex.join(program.command),
            "directory": program.directory,
            "priority": program.priority,
            "autostart": "true",
            # Restart whenever it exits on its own, whatever the exit status.
            "autorestart": "true",
            # Up for a second counts as started; an exit before that is a failed start, retried
            # after 1, 2, then 3 s, then given up (FATAL), which stops the stack.
            "startsecs": 1,
            "startretries": 3,
            "stopsignal": program.stop_signal,
            "stopwaitsecs": program.stop_wait,
            "stopasgroup": "true",
            "killasgroup": "true",
            "redirect_stderr": "true",
            "stdout_logfile": program.log,
            "stdout_logfile_maxbytes": "50MB",
            "stdout_logfile_backups": 2,
            **program.extra,
        }
        lines.append(f"[program:{program.name}]")
        lines += [f"{key}={_value(value)}" for key, value in options.items()]
        lines.append("")
    path = run_dir / "supervisord.conf"
    path.write_text("\n".join(lines))
    return path


def require():
    if importlib.util.find_spec("supervisor") is None or importlib.util.find_spec("dotenv") is None:
        raise StackError(
            "the runner's Python packages are missing: run 'make up' (it installs them into .venv), "
            "or 'pip install -r stack/requirements.txt'."
        )


class Supervisor:
    """A supervisord process in the foreground, and its XML-RPC interface."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.sock = run_dir / "supervisor.sock"
        self.proc = None
        self._rpc = None
        self._out = None

    def start(self, config, env, preexec_fn=None):
        self.sock.unlink(missing_ok=True)
        (self.run_dir / "stopped-because.txt").unlink(missing_ok=True)
        # A log of this run only: crash causes and pids are read from it (the last run's is kept).
        log = self.run_dir / "supervisord.log"
        if log.exists():
            log.replace(self.run_dir / "supervisord.log.1")
        # What supervisord says before its log is open (a bad config) lands here.
        self._out = open(self.run_dir / "supervisord.out", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "--configuration", str(config)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops supervisord
            preexec_fn=preexec_fn,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                text = (self.run_dir / "supervisord.out").read_text(errors="replace").strip()
                raise StackError(f"supervisord exited at start (exit {self.proc.returncode}): {text}")
            try:
                self.rpc.getState()
                return
            except RPC_ERRORS:
                self._rpc = None  # a fresh connection for the next try
                time.sleep(0.1)
        raise StackError(f"supervisord did not answer on {self.sock} within 20 s.")

    @property
    def rpc(self):
        if self._rpc is None:
            from supervisor import childutils

            self._rpc = childutils.getRPCInterface({"SUPERVISOR_SERVER_URL": f"unix://{self.sock}"}).supervisor
        return self._rpc

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def info(self, name):
        return self.rpc.getProcessInfo(name)

    def programs(self):
        """{name: info} of every program (the event listener left out)."""
        try:
            return {i["name"]: i for i in self.rpc.getAllProcessInfo() if i["group"] != "crashwatch"}
        except RPC_ERRORS:
            self._rpc = None
            return {}

    def stopped_because(self):
        path = self.run_dir / "stopped-because.txt"
        return path.read_text().strip() if path.exists() else ""

    def stop(self, timeout=90):
        """Stop supervisord (it stops every program first), then end whatever is left of its
        session: nothing it started outlives it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        for pid in session_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._out.close()
        self.proc = None
        self._rpc = None


def last_exit(run_dir, name):
    """How `name` last ended, as supervisord logged it ("exit status 1", "terminated by SIGKILL");
    its XML-RPC info has no status for a program that exited within startsecs."""
    try:
        text = (run_dir / "supervisord.log").read_text(errors="replace")
    except OSError:
        return None
    found = re.findall(rf"exited: {re.escape(name)} \(([^;)]*)", text)
    return found[-1] if found else None


def session_members(sid):
    """PIDs of the live processes in session `sid` (supervisord's: its programs call setpgrp,
    which keeps them in its session)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == sid:
                members.append(int(entry))
    return members
