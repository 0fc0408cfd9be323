"""The native stack: gunicorn and nginx under supervisord, without Docker.

`NativeStack` renders nginx's config (nginx/templates through nginx/render.sh) and starts
gunicorn (backend/gunicorn.conf.py) and nginx as programs of a supervisord of its own
(stack/supervision.py): a program that crashes is restarted while the others keep running, and
too many crashes stop everything. Stopping the stack (or a failed start) stops every program
with all its workers. `make up` runs it in the foreground; the tests start it on free ports.
"""

import ctypes
import errno
import ipaddress
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

# Only to our own supervisord, over its unix socket in the run folder (bandit's B411: untrusted XML).
import xmlrpc.client  # nosec B411

from . import access, app_settings, logs, monitoring, spa, supervision, tools
from . import env as stack_env
from . import settings as stack_settings
from .env import ROOT
from .errors import StackError
from .supervision import DOWN, Program, Supervisor

RUN_ROOT = ROOT / ".run"
# LOG_FORMAT when it is empty: text for a person at a terminal; containers and systemd get json.
NATIVE_LOG_FORMAT = "text"
_loopback = ipaddress.ip_address("127.0.0.1")
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In supervisord: get SIGTERM when the runner dies, even by SIGKILL (Linux only); it then
    stops every program."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _ephemeral_floor():
    try:
        return int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host="127.0.0.1"):
    """A port that is free now, below the kernel's ephemeral range: a port the kernel hands out
    (bind to 0) can be taken a moment later by any outgoing connection, e.g. a test's load."""
    floor = _ephemeral_floor()
    for _ in range(200):
        # A free port to try, not a secret (bandit's B311: not for cryptography).
        port = random.randrange(10000, max(floor, 10001))  # nosec B311
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port, fix="HTTP_PORT=8080 make up", address=None):
    """Raise a StackError naming the port when something already listens on it; `fix` is the
    command that picks another port. address (HTTP_BIND): check only that address."""
    # A test bind, closed at once: is the port taken on every address (bandit's B104), or HTTP_BIND's?
    if address is None:
        binds = ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::"))  # nosec B104
    else:
        binds = ((socket.AF_INET6 if address.version == 6 else socket.AF_INET, str(address)),)
    for family, host in binds:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if address is not None and exc.errno == errno.EADDRNOTAVAIL:
                    raise StackError(
                        f"HTTP_BIND={address} is not an address of this machine: use one it has "
                        "(e.g. 127.0.0.1), or leave HTTP_BIND empty for every interface."
                    ) from None
                if exc.errno == errno.EADDRNOTAVAIL or exc.errno == errno.EAFNOSUPPORT:
                    continue
                raise StackError(
                    f"port {port} is already in use ({exc.strerror}). Stop what listens there "
                    f"(see 'ss -ltnp sport = :{port}') or choose another: {fix}"
                ) from None


def url_host(address):
    """An address as a URL writes it: IPv6 in brackets."""
    return f"[{address}]" if ":" in address else address


class NativeStack:
    """gunicorn + nginx for one set of settings (stack/dev.py adds Vite for `make dev`).

    settings: dict of the stack's settings (see .env.example); HTTP_PORT is where nginx listens.
    name: the folder under .run/ for rendered config, logs and sockets.
    quiet: print nothing; otherwise a line per service when it is ready, then errors, crashes and
    restarts (and each request with ACCESS_LOG=1) from the log files. The logs are files either way.
    """

    # The service whose ready line shows each setting that differs from its default.
    SHOWN = {
        "gunicorn": stack_settings.shown_by("api"),
        "nginx": stack_settings.shown_by("nginx"),
        "vite": stack_settings.shown_by("vite"),
    }

    def __init__(self, settings, name="native", quiet=False, build=True, scrape_interval=None):
        self.settings = dict(settings)
        # MONITORING=1: Prometheus and the nginx exporter too, on the internal listeners.
        self.monitoring = monitoring.enabled(self.settings)
        if self.monitoring:
            self.settings = monitoring.with_listeners(self.settings)
        self.scrape_interval = scrape_interval
        self.port = stack_env.http_port(self.settings)
        # HTTP_BIND: the one address nginx listens on; None: every interface.
        self.bind = stack_env.http_bind(self.settings)
        self.run_dir = RUN_ROOT / name
        self.quiet = quiet
        self.build = build
        self.backend_dir = ROOT / "backend"
        self.supervisor = Supervisor(self.run_dir)
        self.follower = None

    # ---- paths and environment ----------------------------------------------------------------
    @property
    def url(self):
        host = self.connect_host
        if host in ("127.0.0.1", "::1"):
            host = "localhost"
        return f"http://{url_host(host)}:{self.port}"

    @property
    def connect_host(self):
        """The address to reach nginx at from this machine: loopback unless HTTP_BIND names
        another address."""
        if self.bind is None or self.bind.is_unspecified:
            return "::1" if self.bind is not None and self.bind.version == 6 else "127.0.0.1"
        return str(self.bind)

    @property
    def mode(self):
        return "native, the production build"

    @property
    def api_bind(self):
        """Where gunicorn listens: API_BIND if set, else a unix socket beside the config."""
        bind = self.settings.get("API_BIND")
        if bind:
            return bind
        return f"unix:{self._socket_path('gunicorn.sock', 'set API_BIND=127.0.0.1:8001 to use TCP instead')}"

    def _socket_path(self, name, fix="move the checkout to a shorter path"):
        sock = self.run_dir / name
        if len(str(sock)) > 100:  # sun_path holds 108 bytes
            raise StackError(f"the checkout's path is too long for a unix socket ({sock}); {fix}.")
        return sock

    def log_path(self, name):
        return self.run_dir / f"{name}.log"

    def _child_env(self):
        env = {k: v for k, v in os.environ.items() if k not in stack_settings.SETTING_NAMES}
        # An empty setting means its default, so the children do not get it at all, as in Docker
        # (backend/docker-entrypoint.sh): gunicorn itself reads WEB_CONCURRENCY at import and
        # fails on an empty one, and .env.example leaves it empty.
        env.update({k: v for k, v in self.settings.items() if v != ""})
        env.setdefault("LOG_FORMAT", NATIVE_LOG_FORMAT)
        bind = self.api_bind
        env.update(
            API_BIND=bind,
            NGINX_LISTEN_PORT=str(self.port),
            NGINX_LISTEN_ADDRESS=str(self.bind or ""),
            NGINX_WEB_ROOT=str(spa.DIST),
            # Every request is in access.log; the terminal shows them only with ACCESS_LOG=1.
            NGINX_ACCESS_LOG=str(self.log_path("access")),
            NGINX_RUN_DIR=str(self.run_dir),
            PYTHONUNBUFFERED="1",
            # nginx serves the build; only `make dev` (DevStack) points it at Vite.
            SPA_DEV_SERVER="",
        )
        env.pop("RESOLVER", None)  # Docker's DNS; natively the upstream is an address
        # Plain http here; make https (stack/tls_edge.py) sets its own.
        for name in ("TLS_CERT", "TLS_KEY", "ACME_WEBROOT"):
            env.pop(name, None)
        return env

    # ---- what runs ------------------------------------------------------------------------------
    def programs(self):
        """The services as supervisord programs; nginx stops first (highest priority), gently."""
        return [
            Program(
                "gunicorn",
                [sys.executable, "-m", "gunicorn", "-c", str(self.backend_dir / "gunicorn.conf.py")],
                log=str(self.log_path("gunicorn")),
                priority=10,
                stop_wait=30,
            ),
            Program(
                "nginx",
                self._nginx_cmd("-g", "daemon off;"),
                log=str(self.log_path("nginx")),
                read=str(self.run_dir / "error.log"),
                stop_signal="QUIT",
                priority=30,
                stop_wait=20,
            ),
            *(
                monitoring.programs(self.settings, self.run_dir, self.log_path, self.scrape_interval)
                if self.monitoring
                else ()
            ),
        ]

    def services(self):
        """(name, ready check, seconds to wait) in the order start() waits for them."""
        services = [("gunicorn", self._api_answers, 30), ("nginx", self._nginx_answers, 15)]
        if self.monitoring:
            services += [
                ("nginx-exporter", lambda: monitoring.exporter_ready(self.settings), 20),
                ("prometheus", lambda: monitoring.prometheus_ready(self.settings), 30),
            ]
        return services

    def logs_shown(self):
        """(log, label, filter) that reach the terminal while the stack runs (quiet=False)."""
        shown = [
            (self.run_dir / "events.log", "stack", logs.all_lines),
            (self.log_path("gunicorn"), "gunicorn", logs.gunicorn_error),
            (self.run_dir / "error.log", "nginx", logs.nginx_error),
        ]
        if self.settings.get("ACCESS_LOG") == "1":
            shown.append((self.log_path("access"), "request", logs.all_lines))
        return shown

    def ready_line(self, name):
        changed = stack_settings.non_defaults(self.settings, self.SHOWN.get(name, ()))
        extra = f" [{', '.join(changed)}]" if changed else ""
        if name == "gunicorn":
            server = app_settings.load().load_server(self.settings)
            workers = f"{server.workers} worker{'s' * (server.workers != 1)}"
            threads = f"{server.threads} thread{'s' * (server.threads != 1)}"
            return (
                f"gunicorn ready on {self.api_bind}: {workers} x {threads} ({server.worker_class}){extra}; "
                f"log {logs.shown(self.log_path('gunicorn'))}"
            )
        if name == "nginx":
            prefix = self.settings.get("API_PREFIX") or stack_settings.DEFAULTS["API_PREFIX"]
            return (
                f"nginx ready at {self.url}/ ({self.mode}; API at {self.url}{prefix}/){extra}; "
                f"logs {logs.shown(self.run_dir / 'error.log')}, {logs.shown(self.log_path('access'))}"
            )
        if name == "nginx-exporter":
            port = monitoring.ports(self.settings)["NGINX_EXPORTER_PORT"]
            return f"nginx-exporter ready at http://127.0.0.1:{port}/metrics; log {logs.shown(self.log_path(name))}"
        if name == "prometheus":
            return (
                f"prometheus ready at {monitoring.prometheus_url(self.settings)}/ (the API's metrics from "
                f"{self.settings['METRICS_BIND']}, nginx's from its stub_status at "
                f"{self.settings['STUB_STATUS_BIND']}); log {logs.shown(self.log_path(name))}"
            )
        return f"{name} ready{extra}; log {logs.shown(self.log_path(name))}"

    # ---- start --------------------------------------------------------------------------------
    def render(self):
        """Render nginx's config from the shared template and check it with nginx -t."""
        env = self._child_env()
        result = subprocess.run(["sh", str(ROOT / "nginx" / "render.sh")], env=env, capture_output=True, text=True)
        if result.returncode:
            raise StackError(result.stderr.strip() or "nginx/render.sh failed")
        conf = self.run_dir / "nginx.conf"
        access.set_nginx_worker_user(conf)
        self.before_nginx_check(env)
        check = subprocess.run(self._nginx_cmd("-t", "-q"), capture_output=True, text=True)
        if check.returncode:
            raise StackError(f"nginx rejects the rendered config {conf}:\n{check.stderr.strip()}")

    def before_nginx_check(self, env):
        """What must exist before nginx -t reads the rendered config (stack/tls_edge.py)."""

    def _nginx_cmd(self, *extra):
        return [
            "nginx",
            "-p",
            str(self.run_dir),
            "-c",
            str(self.run_dir / "nginx.conf"),
            "-e",
            str(self.run_dir / "error.log"),
            *extra,
        ]

    def start(self):
        """Start everything, or raise StackError with nothing left running."""
        try:
            supervision.require()
            tools.require("nginx", "envsubst", *(monitoring.PROGRAMS if self.monitoring else ()))
            self.check_ports()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("nginx.pid", "gunicorn.sock"):
                (self.run_dir / stale).unlink(missing_ok=True)
            self._socket_path("supervisor.sock")
            # Settings are checked (by rendering) before the slow build.
            self.render()
            self.prepare_frontend()
            config = supervision.render_config(self.run_dir, self.programs())
            self.supervisor.start(config, self._child_env(), preexec_fn=_die_with_parent)
            for name, ready, timeout in self.services():
                self._wait_for(ready, name, timeout)
                if not self.quiet:
                    print(f"stack: {self.ready_line(name)}", flush=True)
        except BaseException:
            self.stop()
            raise
        if not self.quiet:
            self.follower = logs.Follower()
            for path, label, keep in self.logs_shown():
                self.follower.follow(path, label, keep)
        return self

    def public_ports(self):
        """(port, the command that picks another) for each port nginx listens on publicly."""
        return [(self.port, "HTTP_PORT=8080 make up")]

    def check_ports(self):
        for port, fix in self.public_ports():
            check_port_free(port, fix=fix, address=self.bind)
        if self.monitoring:
            for name, port in monitoring.ports(self.settings).items():
                other = f"127.0.0.1:{port + 1}" if name.endswith("_BIND") else port + 1
                check_port_free(port, fix=f"{name}={other} MONITORING=1 make up", address=_loopback)

    def prepare_frontend(self):
        if self.build:
            spa.build(self.settings)

    def start_api(self):
        """Start gunicorn again after stop_process("gunicorn") and wait until it answers."""
        self.supervisor.rpc.startProcess("gunicorn", False)
        self._wait_for(self._api_answers, "gunicorn", timeout=30)

    def _wait_for(self, ready, name, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.supervisor.running():
                raise StackError(f"supervisord exited while {name} started. {self._tail('supervisord')}")
            info = self.supervisor.info(name)
            if info["statename"] in DOWN:
                # supervisord's log has the exit status; a spawn error ("can't find command") has none.
                how = supervision.last_exit(self.run_dir, name) or info["spawnerr"] or info["description"]
                raise StackError(f"{name} exited during start-up ({how}). {self._tail(name)}")
            # Ready, and up long enough for supervisord to count it as started (startsecs).
            if info["statename"] == "RUNNING" and ready():
                return
            time.sleep(0.1)
        raise StackError(f"{name} did not answer within {timeout} s. {self._tail(name)}")

    def _tail(self, name):
        path = self.run_dir / "error.log" if name == "nginx" else self.log_path(name)
        if path.exists():
            lines = path.read_text(errors="replace").strip().splitlines()[-12:]
            return f"Last lines of {logs.shown(path)}:\n" + "\n".join(lines)
        return f"Its log {logs.shown(path)} is empty."

    def _api_answers(self):
        """True once a gunicorn worker answers HTTP (any status): a master alone accepts nothing."""
        bind = self.api_bind
        if bind.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address = bind[5:]
        else:
            host, _, port = bind.rpartition(":")
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            address = (host.strip("[]") or "127.0.0.1", int(port))
        prefix = self.settings.get("API_PREFIX") or stack_settings.DEFAULTS["API_PREFIX"]
        with sock:
            sock.settimeout(2)
            try:
                sock.connect(address)
                sock.sendall(f"GET {prefix}/health HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                return sock.recv(16).startswith(b"HTTP/1.")
            except OSError:
                return False

    def _nginx_answers(self):
        # Any HTTP answer will do: with ALLOWED_HOSTS set, this Host gets a 400.
        try:
            # A literal http URL on loopback (bandit's B310 fears file: and custom schemes).
            with urllib.request.urlopen(f"http://{url_host(self.connect_host)}:{self.port}/", timeout=2):  # nosec B310
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    # ---- while it runs -------------------------------------------------------------------------
    def watch(self):
        """Echo new log lines (unless quiet); raise StackError once supervisord has stopped by
        itself (too many crashes), with the reason and the log to read."""
        if self.follower:
            self.follower.poll()
        if self.supervisor.proc is not None and not self.supervisor.running():
            reason = self.supervisor.stopped_because()
            raise StackError(
                reason
                or f"supervisord exited (exit {self.supervisor.proc.returncode}); "
                f"read {logs.shown(self.run_dir / 'supervisord.log')}."
            )

    def pids(self):
        """{program: pid} of the programs that run now (each pid leads its process group)."""
        return {name: info["pid"] for name, info in self.supervisor.programs().items() if info["pid"]}

    @property
    def procs(self):
        return self.pids() if self.supervisor.running() else {}

    # ---- stop ---------------------------------------------------------------------------------
    def stop_process(self, name):
        """Stop one program gracefully, workers included; supervisord leaves it stopped."""
        try:
            self.supervisor.rpc.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise

    def stop(self):
        """Stop every program (nginx first, gracefully) and supervisord; nothing is left."""
        if self.follower:
            self.follower.poll()
        self.supervisor.stop()
