"""The processes the bench starts: native stacks (gunicorn + nginx, as `make up` runs them) and
the fronts that stand in for nginx in front of a stack's gunicorn.

Every process runs in its own process group (its pid is the group id), so that the CPU of a
master and all its workers is charged to one name.
"""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from functools import partial

from stack.access import nginx_worker_user
from stack.native import RUN_ROOT, NativeStack, free_port
from stack.settings import SETTING_NAMES
from support.processes import running

# tests/support (bench/__init__ puts tests/ on the path)
from support.tls_proxies import running_caddy

ROOT = RUN_ROOT.parent


class BenchStack(NativeStack):
    """A quiet native stack on a free port. `tcp_port`: gunicorn also listens there, for wrk
    ("direct"); `app`: another WSGI app than backend/wsgi.py (the bench's I/O-bound one);
    `conf`: another gunicorn config file than backend/gunicorn.conf.py (with `app` only);
    `worker_class`: a gunicorn worker class that GUNICORN_WORKER_CLASS does not offer (gevent),
    given on gunicorn's command line, which wins over the config file."""

    def __init__(self, name, settings, tcp_port=None, app=None, conf=None, worker_class=None):
        run_dir = RUN_ROOT / name
        for stale in ("access.log", "error.log", "gunicorn.log"):
            (run_dir / stale).unlink(missing_ok=True)
        super().__init__(
            {**settings, "HTTP_PORT": str(free_port()), "GUNICORN_CMD_ARGS": ""}, name=name, quiet=True, build=False
        )
        self.tcp_port = tcp_port
        self.app = app
        self.conf = conf or self.backend_dir / "gunicorn.conf.py"
        # gunicorn reads GUNICORN_CMD_ARGS on top of backend/gunicorn.conf.py.
        args = [f"--bind {self.api_bind} --bind 127.0.0.1:{tcp_port}"] if tcp_port else []
        args += [f"--worker-class {worker_class}"] if worker_class else []
        self.settings["GUNICORN_CMD_ARGS"] = " ".join(args)

    @property
    def socket_path(self):
        return self.api_bind[len("unix:") :]

    def programs(self):
        programs = super().programs()
        if self.app:
            # The app on the command line wins over wsgi_app in the config; ROOT makes `bench`
            # importable.
            gunicorn = next(p for p in programs if p.name == "gunicorn")
            gunicorn.command = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(self.conf),
                "--pythonpath",
                str(ROOT),
                self.app,
            ]
        return programs

    def groups(self):
        """Process group ids by name: gunicorn, nginx."""
        return self.pids()

    def cleanup(self):
        """Stop, and drop the logs: a run writes a few hundred MB of access log lines."""
        self.stop()
        for name in ("access", "gunicorn"):
            self.log_path(name).unlink(missing_ok=True)


# ---- fronts: other proxies in front of a stack's gunicorn (its unix socket) ----------------
# Each takes (folder, port, socket_path, prefix); the prefix is the API's, for the headers.
# The headers this project's config adds, with the values it sends here (no trusted proxy).
NGINX_HEADERS = """
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header X-Forwarded-Prefix {prefix};
            proxy_set_header X-Request-ID $request_id;"""


def _minimal_nginx_conf(folder, port, socket_path, headers=False, prefix="/api"):
    user = nginx_worker_user()
    return (
        (f"user {user};\n" if user else "")
        + f"""worker_processes auto;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    upstream gunicorn {{
        server unix:{socket_path};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gunicorn;
            proxy_http_version 1.1;
            proxy_set_header Connection "";{NGINX_HEADERS.format(prefix=prefix) if headers else ""}
        }}
    }}
}}
"""
    )


@contextmanager
def minimal_nginx(folder, port, socket_path, prefix="/api", headers=False):
    """nginx with only proxy_pass and upstream keep-alive: the floor for an nginx front. With
    `headers`, it also sends the headers this project's config adds, and nothing else: the
    difference is what those headers cost gunicorn under load."""
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(_minimal_nginx_conf(folder, port, socket_path, headers, prefix))
    with running(
        ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"), "-g", "daemon off;"], port=port
    ) as proc:
        yield proc


@contextmanager
def caddy(folder, port, socket_path, prefix="/api"):
    """Caddy's reverse_proxy as its docs show it (it sends X-Forwarded-For/-Proto/-Host)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Caddyfile").write_text(f"""{{
    admin off
    auto_https off
    storage file_system {folder}/data
}}
http://127.0.0.1:{port} {{
    reverse_proxy unix/{socket_path}
}}
""")
    with running_caddy(folder, port) as proc:
        yield proc


@contextmanager
def haproxy(folder, port, socket_path, prefix="/api"):
    """HAProxy in http mode with X-Forwarded-For; idle server connections are reused (its
    default http-reuse safe)."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "haproxy.cfg"
    cfg.write_text(f"""global
    maxconn 4096
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend public
    bind 127.0.0.1:{port}
    http-request set-header X-Forwarded-Proto http
    default_backend api
backend api
    server gunicorn {socket_path}
""")
    with running(["haproxy", "-f", str(cfg), "-db"], port=port) as proc:
        yield proc


FRONTS = {
    "nginx-minimal": minimal_nginx,
    "nginx-minimal+headers": partial(minimal_nginx, headers=True),
    "caddy": caddy,
    "haproxy": haproxy,
}


def gunicorn_effective(settings):
    """worker_class, workers and threads as backend/gunicorn.conf.py computes them."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(settings)
    code = (
        "import json, runpy; ns = runpy.run_path('backend/gunicorn.conf.py'); "
        "print(json.dumps({k: ns[k] for k in ('worker_class', 'workers', 'threads', 'keepalive')}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (proc.stderr or proc.stdout).strip()[-300:]}
