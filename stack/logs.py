"""What the runner shows while the stack runs: the lines of the log files a user needs to see.

Every service writes to its own file in the run folder (named in the ready lines); the terminal
gets errors, supervision events (a crash, a restart), and every request only with ACCESS_LOG=1.
"""

import re
import sys

from .env import ROOT

# nginx error-log levels and gunicorn log levels that reach the terminal (gunicorn's and the
# app's lines as text, or as JSON with LOG_FORMAT=json; nginx's error log is always text).
_NGINX_ERRORS = re.compile(r"\[(error|crit|alert|emerg)\]")
_GUNICORN_ERRORS = re.compile(r'\[(ERROR|CRITICAL)\]|^\{"time":"[^"]*","level":"(ERROR|CRITICAL)"')


def shown(path):
    """A path as the user should type it: relative to the checkout when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class Follower:
    """Follows files from their current end; `poll()` prints the new lines that pass a filter."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.files = []

    def follow(self, path, label, keep=None):
        """Print new lines of `path` as "label: line" when keep(line) is true (every line if None)."""
        offset = path.stat().st_size if path.exists() else 0
        self.files.append([path, label, keep, offset, b""])

    def poll(self):
        for entry in self.files:
            path, label, keep, offset, partial = entry
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size < offset:  # rotated or truncated: start again from its beginning
                offset = 0
            if size == offset:
                continue
            with open(path, "rb") as f:
                f.seek(offset)
                data = partial + f.read(size - offset)
            entry[3] = size
            *lines, entry[4] = data.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip()
                if line and (keep is None or keep(line)):
                    print(f"{label}: {line}", file=self.out, flush=True)


# The files of a run folder that `make logs` follows (those a run writes; vite: make dev,
# tls-watch and acme: make https), in the order the ready lines name them.
RUN_LOGS = ("gunicorn", "access", "error", "events", "vite", "tls-watch", "acme")


def run_logs(run_dir):
    """The log files of a native run folder that exist."""
    return [run_dir / f"{name}.log" for name in RUN_LOGS if (run_dir / f"{name}.log").exists()]


def nginx_error(line):
    return bool(_NGINX_ERRORS.search(line))


def gunicorn_error(line):
    return bool(_GUNICORN_ERRORS.search(line)) or line.startswith("gunicorn: ")


def all_lines(_line):
    return True
