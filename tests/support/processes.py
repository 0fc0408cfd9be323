"""Helper processes the integration tests put in front of the stack, and process checks."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager


def wait_for_port(port, host="127.0.0.1", timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


@contextmanager
def running(args, port=None, log=None, host="127.0.0.1", **popen):
    """Run a helper process for the duration of a with-block and stop it afterwards. log: a
    file for its output (a chatty process would block on a full pipe)."""
    assert shutil.which(args[0]), f"{args[0]} is not installed (make test installs it)"
    stderr = open(log, "ab") if log else subprocess.PIPE
    proc = subprocess.Popen(
        args, start_new_session=True, stdout=stderr if log else subprocess.DEVNULL, stderr=stderr, **popen
    )
    try:
        if port:
            wait_for_port(port, host=host)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            stderr.close()


def port_forwarder(public_port, target_port, address="127.0.0.1"):
    """socat as Docker's userland proxy: a TCP forwarder that leaves Host untouched."""
    return running(
        ["socat", f"TCP-LISTEN:{public_port},bind={address},reuseaddr,fork", f"TCP:127.0.0.1:{target_port}"],
        port=public_port,
        host=address,
    )


def descendants(pid):
    """Every process below pid, found through /proc (children of children too)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_using(path_fragment):
    """PIDs whose command line or environment mentions path_fragment (e.g. a run folder:
    nginx names it in its arguments, gunicorn in API_BIND)."""
    pids = []
    needle = path_fragment.encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmd, open(f"/proc/{entry}/environ", "rb") as env:
                    if (needle in cmd.read() or needle in env.read()) and alive(int(entry)):
                        pids.append(int(entry))
            except OSError:
                continue
    return pids
