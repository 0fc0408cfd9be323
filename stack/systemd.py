"""`python -m stack systemd`: systemd units for running the native stack as services on a host.

Rendered from the same settings as `make up` (the environment over `.env`, checked by
stack/settings.py) into one folder:

- NAME-api.service    gunicorn with backend/gunicorn.conf.py, on a unix socket in /run/NAME/
- NAME-web.service    nginx with the config rendered from nginx/templates (as `make up` does)
- NAME.target         both: `systemctl start NAME.target`
- stack.env           the settings, read by both services (EnvironmentFile)
- nginx/              nginx's rendered config; its pid, temp files and logs are written there

systemd takes the supervisor's part: Restart=always restarts a service that dies (any signal,
any exit) after RestartSec, KillMode=mixed ends what a dead master leaves behind before the
restart, and StartLimitBurst restarts within StartLimitIntervalSec mark it failed, as the
native runner's crash limit does. Both services run as a non-root user; nginx gets
CAP_NET_BIND_SERVICE for a port below 1024.
"""

import grp
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from . import access, spa
from .env import ROOT, http_bind, http_port
from .errors import StackError
from .settings import own, read_by
from .supervision import CRASH_LIMIT, CRASH_WINDOW


def _env_line(key, value):
    # systemd's EnvironmentFile: double quotes keep spaces; backslash escapes " and \.
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'{key}="{escaped}"'


def _exec(args):
    # systemd splits ExecStart like a shell does for quotes; a literal % is written %%, $ is $$.
    return shlex.join(args).replace("%", "%%").replace("$", "$$")


def api_environment(settings, bind):
    """stack.env: what the API reads, the team's own APP_* settings included (nginx reads nothing
    at run time: its config is rendered here)."""
    env = {key: settings.get(key, "") for key in read_by("api")} | own(settings)
    return env | {"API_BIND": bind, "PYTHONUNBUFFERED": "1"}


def render(settings, out, user, name="app", python=None, build=True):
    """Write the units for `settings` (already validated) into `out`; returns the files written."""
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        raise StackError(
            f"--user {user!r} is not a user on this host: create one (e.g. 'useradd --system "
            f"--no-create-home {user}') or name another."
        ) from None
    if pw.pw_uid == 0:
        raise StackError("--user root: the services should run as a user without privileges (e.g. --user www-data).")
    group = grp.getgrgid(pw.pw_gid).gr_name
    # Units whose user cannot read the checkout would start, then serve only 404s.
    access.require_readable(user)
    if not all(c.isalnum() or c in "-_" for c in name):
        raise StackError(f"--name {name!r}: use letters, digits, - and _ only.")
    out = Path(out).resolve()
    nginx_dir = out / "nginx"
    nginx_dir.mkdir(parents=True, exist_ok=True)
    python = python or sys.executable
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = str(http_port(settings))
    bind = settings.get("API_BIND") or f"unix:/run/{name}/gunicorn.sock"

    env = api_environment(settings, bind)
    (out / "stack.env").write_text(
        "# The stack's settings for its systemd services (written by `python -m stack systemd`).\n"
        + "".join(_env_line(k, v) + "\n" for k, v in env.items())
    )

    if build:
        spa.build(settings)
    render_env = {k: v for k, v in os.environ.items() if k not in env}
    render_env.update(
        env,
        API_BIND=bind,
        NGINX_LISTEN_PORT=port,
        NGINX_LISTEN_ADDRESS=str(http_bind(settings) or ""),
        NGINX_WEB_ROOT=str(spa.DIST),
        NGINX_ACCESS_LOG=str(nginx_dir / "access.log"),
        NGINX_RUN_DIR=str(nginx_dir),
        SPA_DEV_SERVER="",
    )
    render_env.pop("RESOLVER", None)
    result = subprocess.run(["sh", str(ROOT / "nginx" / "render.sh")], env=render_env, capture_output=True, text=True)
    if result.returncode:
        raise StackError(result.stderr.strip() or "nginx/render.sh failed")

    nginx_args = ["-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-e", str(nginx_dir / "error.log")]
    common = f"""User={user}
Group={group}
Restart=always
RestartSec=1
KillMode=mixed
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
"""
    limits = f"""StartLimitIntervalSec={CRASH_WINDOW}
StartLimitBurst={CRASH_LIMIT}
"""
    api = f"""# gunicorn for the API ({ROOT / "backend" / "gunicorn.conf.py"}); written by `python -m stack systemd`.
[Unit]
Description={name}: the API (gunicorn)
After=network.target
PartOf={name}.target
{limits}
[Service]
Type=simple
WorkingDirectory={ROOT / "backend"}
EnvironmentFile={out / "stack.env"}
ExecStart={_exec([python, "-m", "gunicorn", "-c", str(ROOT / "backend" / "gunicorn.conf.py")])}
# SIGHUP: new workers with the new code while the old ones finish.
ExecReload=/bin/kill -HUP $MAINPID
KillSignal=SIGTERM
TimeoutStopSec=30
# /run/{name}/ holds the socket nginx connects to; kept across restarts of this service.
RuntimeDirectory={name}
RuntimeDirectoryPreserve=yes
{common}
[Install]
WantedBy={name}.target
"""
    web = f"""# nginx for the SPA and the API proxy ({nginx_dir / "nginx.conf"}); written by `python -m stack systemd`.
[Unit]
Description={name}: the web server (nginx)
After=network.target {name}-api.service
Wants={name}-api.service
PartOf={name}.target
{limits}
[Service]
Type=simple
EnvironmentFile={out / "stack.env"}
ExecStartPre={_exec([nginx, *nginx_args, "-t", "-q"])}
ExecStart={_exec([nginx, *nginx_args, "-g", "daemon off;"])}
ExecReload=/bin/kill -HUP $MAINPID
# SIGQUIT: finish the requests in flight, then stop.
KillSignal=SIGQUIT
TimeoutStopSec=20
# nginx may bind a port below 1024 (HTTP_PORT={port} now) without root.
AmbientCapabilities=CAP_NET_BIND_SERVICE
ReadWritePaths={nginx_dir}
{common}
[Install]
WantedBy={name}.target
"""
    target = f"""# The whole stack: systemctl start|stop|restart {name}.target
[Unit]
Description={name}: the API and the web server
Wants={name}-api.service {name}-web.service

[Install]
WantedBy=multi-user.target
"""
    files = {f"{name}-api.service": api, f"{name}-web.service": web, f"{name}.target": target}
    for file, text in files.items():
        (out / file).write_text(text)
    return [out / f for f in (*files, "stack.env")]
