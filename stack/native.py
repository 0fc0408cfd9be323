"""The native stack: gunicorn and nginx as child processes, supervised together.

`NativeStack` starts gunicorn (backend/gunicorn.conf.py) and nginx (nginx/templates rendered by
nginx/render.sh) and stops both, with every worker, when it stops, when one of them dies, or
when start-up fails. `make up` runs it in the foreground; the tests start it on free ports.
"""

import ctypes
import grp
import pwd
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import env as stack_env
from . import frontend, tools
from .env import ROOT
from .errors import StackError

RUN_ROOT = ROOT / ".run"
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: get SIGTERM when the runner dies, even by SIGKILL (Linux only)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port, fix="HTTP_PORT=8080 make up"):
    """Raise a StackError naming the port when something already listens on it; `fix` is the
    command that picks another port."""
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL or exc.errno == errno.EAFNOSUPPORT:
                    continue
                raise StackError(
                    f"port {port} is already in use ({exc.strerror}). Stop what listens there "
                    f"(see 'ss -ltnp sport = :{port}') or choose another: {fix}"
                ) from None


def _worker_user_clause():
    """nginx's master runs as root here only when we are root; its workers then need a user
    that can read the checkout. Use nobody when every parent folder lets others in."""
    if os.geteuid() != 0:
        return ""
    for folder in [ROOT, *ROOT.parents]:
        if not os.stat(folder).st_mode & 0o001:
            return "root root"
    try:
        nobody = pwd.getpwnam("nobody")
        return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}"
    except KeyError:
        return "root root"


class NativeStack:
    """gunicorn + nginx for one set of settings (stack/dev.py adds Vite for `make dev`).

    settings: dict of the stack's settings (see .env.example); HTTP_PORT is where nginx listens.
    name: the folder under .run/ for rendered config, logs and the socket.
    quiet: send the children's output to log files instead of this terminal.
    """

    def __init__(self, settings, name="native", quiet=False, build=True):
        self.settings = dict(settings)
        self.port = stack_env.http_port(self.settings)
        self.run_dir = RUN_ROOT / name
        self.quiet = quiet
        self.build = build
        self.procs = {}
        self._logs = []
        self.backend_dir = ROOT / "backend"

    # ---- paths and environment ----------------------------------------------------------------
    @property
    def url(self):
        return f"http://localhost:{self.port}"

    @property
    def api_bind(self):
        """Where gunicorn listens: API_BIND if set, else a unix socket beside the config."""
        bind = self.settings.get("API_BIND")
        if bind:
            return bind
        sock = self.run_dir / "gunicorn.sock"
        if len(str(sock)) > 100:  # sun_path holds 108 bytes
            raise StackError(
                f"the checkout's path is too long for a unix socket ({sock}); "
                "set API_BIND=127.0.0.1:8001 to use TCP instead."
            )
        return f"unix:{sock}"

    def log_path(self, name):
        return self.run_dir / f"{name}.log"

    def _child_env(self):
        env = {k: v for k, v in os.environ.items() if k not in stack_env.SETTING_NAMES}
        env.update(self.settings)
        bind = self.api_bind
        env.update(
            GUNICORN_BIND=bind,
            API_UPSTREAM=bind,
            NGINX_LISTEN_PORT=str(self.port),
            NGINX_WEB_ROOT=str(frontend.DIST),
            # In the foreground the access log goes to the terminal, beside gunicorn's.
            NGINX_ACCESS_LOG=str(self.run_dir / "access.log") if self.quiet else "/dev/stdout",
            NGINX_RUN_DIR=str(self.run_dir),
            PYTHONUNBUFFERED="1",
            # nginx serves the build; only `make dev` (DevStack) points it at Vite.
            SPA_DEV_SERVER="",
        )
        env.pop("RESOLVER", None)  # Docker's DNS; natively the upstream is an address
        return env

    # ---- start --------------------------------------------------------------------------------
    def render(self):
        """Render nginx's config from the shared template and check it with nginx -t."""
        env = self._child_env()
        result = subprocess.run(
            ["sh", str(ROOT / "nginx" / "render.sh")], env=env, capture_output=True, text=True
        )
        if result.returncode:
            raise StackError(result.stderr.strip() or "nginx/render.sh failed")
        conf = self.run_dir / "nginx.conf"
        user = _worker_user_clause()
        if user:
            text = conf.read_text()
            conf.write_text(f"user {user};\n" + text)
        check = subprocess.run(self._nginx_cmd("-t", "-q"), capture_output=True, text=True)
        if check.returncode:
            raise StackError(f"nginx rejects the rendered config {conf}:\n{check.stderr.strip()}")

    def _nginx_cmd(self, *extra):
        return [
            "nginx", "-p", str(self.run_dir), "-c", str(self.run_dir / "nginx.conf"),
            "-e", str(self.run_dir / "error.log"), *extra,
        ]

    def _spawn(self, name, args, cwd=ROOT):
        if self.quiet:
            out = open(self.log_path(name), "ab")
            self._logs.append(out)
        else:
            out = None
        self.procs[name] = subprocess.Popen(
            args,
            cwd=cwd,
            env=self._child_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops them in order
            preexec_fn=_die_with_parent,
        )

    def start_api(self):
        sock = self.run_dir / "gunicorn.sock"
        if sock.exists():
            sock.unlink()
        self._spawn("gunicorn", [sys.executable, "-m", "gunicorn", "-c", str(self.backend_dir / "gunicorn.conf.py")])
        self._wait_for(self._api_answers, "gunicorn", timeout=30)

    def start(self):
        """Start everything, or raise StackError with nothing left running."""
        try:
            tools.require("nginx", "envsubst")
            self.check_ports()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("nginx.pid", "gunicorn.sock"):
                (self.run_dir / stale).unlink(missing_ok=True)
            # Settings are checked (by rendering) before the slow build.
            self.render()
            self.prepare_frontend()
            self.start_api()
            self.start_frontend()
            self._spawn("nginx", self._nginx_cmd("-g", "daemon off;"))
            self._wait_for(self._nginx_answers, "nginx", timeout=15)
        except BaseException:
            self.stop()
            raise
        return self

    def check_ports(self):
        check_port_free(self.port)

    def prepare_frontend(self):
        if self.build:
            frontend.build(self.settings)

    def start_frontend(self):
        """Nothing to run: nginx serves the build."""

    def _wait_for(self, ready, name, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise StackError(f"{name} exited during start-up (exit {proc.returncode}). {self._tail(name)}")
            if ready():
                return
            time.sleep(0.1)
        raise StackError(f"{name} did not answer within {timeout} s. {self._tail(name)}")

    def _tail(self, name):
        path = self.log_path(name) if self.quiet else None
        if name == "nginx":
            path = self.run_dir / "error.log"
        if path and path.exists():
            lines = path.read_text(errors="replace").strip().splitlines()[-8:]
            return "Last lines of its log:\n" + "\n".join(lines)
        return "See its messages above."

    def _api_answers(self):
        bind = self.api_bind
        if bind.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address = bind[5:]
        else:
            host, _, port = bind.rpartition(":")
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            address = (host.strip("[]") or "127.0.0.1", int(port))
        with sock:
            sock.settimeout(1)
            try:
                sock.connect(address)
                return True
            except OSError:
                return False

    def _nginx_answers(self):
        # Any HTTP answer will do: with ALLOWED_HOSTS set, this Host gets a 400.
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    # ---- stop ---------------------------------------------------------------------------------
    def stop_process(self, name, sig=signal.SIGTERM, timeout=15):
        """Stop one child and everything in its process group (workers included)."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # Workers that outlived their master, or a master that ignored the signal.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()

    def stop(self):
        # nginx first, gracefully (SIGQUIT), so no request is cut while gunicorn still runs.
        self.stop_process("nginx", signal.SIGQUIT)
        self.stop_process("gunicorn", signal.SIGTERM)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def dead_child(self):
        """The name of a child that exited, or None while all run."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return name
        return None

    def pids(self):
        return {name: proc.pid for name, proc in self.procs.items()}
