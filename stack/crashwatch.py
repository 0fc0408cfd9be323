"""supervisord event listener of the native run: `python -m stack.crashwatch` (see supervision.py).

For every program that exits on its own (PROCESS_STATE_EXITED, whatever the status, or BACKOFF
when it exits within its first second):
- signals what is left of its process group: nginx workers keep the listening port after their
  master is killed, and gunicorn workers serve on until they notice; the restarted master could
  not bind while they hold it (nginx gets SIGQUIT, gunicorn SIGTERM: both finish what they serve);
- writes one line to its stderr (events.log, which the runner echoes) saying what happened;
- counts the crash: the LIMIT-th within WINDOW seconds, or a program that supervisord gave up
  restarting (FATAL), stops everything: the reason goes to stopped-because.txt, then supervisord
  gets SIGTERM and stops every program in order.
"""

import argparse
import os
import re
import signal
import sys
import time
from collections import deque
from pathlib import Path

from supervisor import childutils

from stack.supervision import last_exit


def _pairs(text):
    return dict(item.split("=", 1) for item in text.split())


def _say(message):
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


class Watch:
    def __init__(self, run_dir, limit, window, logs, signals):
        self.run_dir = Path(run_dir)
        self.limit = limit
        self.window = window
        self.logs = logs
        self.signals = signals
        self.crashes = deque()
        self.exited_at = {}
        self.stopping = False

    def _log(self):
        try:
            return (self.run_dir / "supervisord.log").read_text(errors="replace")
        except OSError:
            return ""

    def cause(self, name):
        return last_exit(self.run_dir, name) or "cause unknown"

    def clean_up_after(self, name):
        """Signal the process group of every dead master of `name`: a group outlives its leader
        while workers are left in it, and no other group can take its id meanwhile."""
        sig = getattr(signal, "SIG" + self.signals.get(name, "TERM"), signal.SIGTERM)
        for pid in {int(p) for p in re.findall(rf"spawned: '{re.escape(name)}' with pid (\d+)", self._log())}:
            try:
                os.kill(pid, 0)
                continue  # the leader lives: a running master, not leftovers
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def log_of(self, name):
        log = self.logs.get(name, "")
        try:
            return os.path.relpath(log) if log else "the logs in " + str(self.run_dir)
        except ValueError:
            return log

    def on_exited(self, name, starting=False):
        cause = self.cause(name)
        self.clean_up_after(name)
        now = time.monotonic()
        self.exited_at[name] = now
        self.crashes.append(now)
        while self.crashes and self.crashes[0] < now - self.window:
            self.crashes.popleft()
        if len(self.crashes) >= self.limit:
            self.stop_all(
                f"{name} crashed ({cause}): {len(self.crashes)} crashes within {self.window} s, "
                f"so the stack stops rather than restart it again. Read {self.log_of(name)}."
            )
        else:
            when = " within a second of its start" if starting else ""
            _say(
                f"{name} exited unexpectedly{when} ({cause}); restarting it (crash {len(self.crashes)} of "
                f"{self.limit} allowed within {self.window} s). Its log: {self.log_of(name)}"
            )

    def on_running(self, name, pid):
        if name in self.exited_at:
            _say(f"{name} runs again (pid {pid}), {time.monotonic() - self.exited_at.pop(name):.1f} s after it exited.")

    def on_fatal(self, name):
        self.stop_all(
            f"{name} could not be restarted: it exited at start-up again and again "
            f"({self.cause(name)}). Read {self.log_of(name)}."
        )

    def stop_all(self, reason):
        if self.stopping:
            return
        self.stopping = True
        # The runner prints it as its error once supervisord has stopped everything.
        (self.run_dir / "stopped-because.txt").write_text(reason + "\n")
        os.kill(os.getppid(), signal.SIGTERM)  # supervisord: it stops every program in order

    def handle(self, event, body):
        name = body.get("processname", "")
        if body.get("groupname") == "crashwatch" or self.stopping:
            return
        if event == "PROCESS_STATE_EXITED":
            self.on_exited(name)
        elif event == "PROCESS_STATE_BACKOFF":
            # Exited before it counted as started (startsecs): supervisord retries after a delay.
            self.on_exited(name, starting=True)
        elif event == "PROCESS_STATE_RUNNING":
            self.on_running(name, body.get("pid"))
        elif event == "PROCESS_STATE_FATAL":
            self.on_fatal(name)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stack.crashwatch")
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--window", type=int, required=True)
    parser.add_argument("--logs", default="", help="NAME=PATH ... of each program's log")
    parser.add_argument("--signals", default="", help="NAME=SIGNAL ... each program stops gracefully on")
    args = parser.parse_args(argv)
    watch = Watch(args.run_dir, args.limit, args.window, _pairs(args.logs), _pairs(args.signals))
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        try:
            watch.handle(headers["eventname"], childutils.get_headers(payload.split("\n", 1)[0]))
        finally:
            childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
