"""Docker mode of the runner: `make up`, `make dev` and `make down` through Docker Compose v2.

The compose files are docker-compose.yml (COMPOSE_FILE, compose's own variable, may name other
files instead, separated by ':'), plus docker-compose.dev.yml for `make dev`; the project name
is compose's (COMPOSE_PROJECT_NAME, else the folder's name).
"""

import os
import shutil
import subprocess
import sys

from . import env as stack_env
from .env import ROOT
from .errors import StackError

DEV_FILE = "docker-compose.dev.yml"
HTTPS_FILE = "docker-compose.https.yml"
DERIVE = ROOT / "nginx" / "docker-entrypoint.d" / "15-derive-settings.envsh"
GUNICORN_CONF = ROOT / "backend" / "gunicorn.conf.py"


def compose_files(settings, dev=False, https=False):
    files = [f for f in (settings.get("COMPOSE_FILE") or "docker-compose.yml").split(os.pathsep) if f]
    if dev and DEV_FILE not in files:
        files.append(DEV_FILE)
    if https and HTTPS_FILE not in files:
        files.append(HTTPS_FILE)
    return [arg for name in files for arg in ("-f", name)]


def require_compose():
    """Docker answers, so Compose v2 must too: say how to get it instead of letting `docker
    compose` fail with "unknown flag"."""
    try:
        ok = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        raise StackError(
            "a Docker engine answers, but the Compose v2 plugin does not ('docker compose version' "
            "fails). Install it (Debian 13 or newer: apt-get install docker-compose; Docker's own "
            "packages: docker-compose-plugin), or run without Docker: STACK=native make up"
        )


def validate_settings(settings):
    """Every setting checked before anything is built, with the messages of the native run.

    The one place Docker mode validates: the runner's own checks (HTTP_PORT), then the same
    code that checks them at start-up in the containers, run here on the host: nginx's
    derivation script and gunicorn.conf.py (which loads the API's settings).
    """
    stack_env.http_port(settings)
    env = {k: v for k, v in os.environ.items() if k not in stack_env.SETTING_NAMES}
    env.update({k: v for k, v in settings.items() if k in stack_env.SETTING_NAMES})
    env["PYTHONPATH"] = str(ROOT / "backend")
    checks = (["sh", "-c", '. "$1"', "derive", str(DERIVE)], [sys.executable, str(GUNICORN_CONF)])
    for check in checks:
        result = subprocess.run(check, env=env, capture_output=True, text=True)
        if result.returncode:
            raise StackError(
                result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"{' '.join(check)} failed"
            )


def up(settings, dev=False, https=False):
    """Check the settings, then hand the terminal to `docker compose up --build` (Ctrl-C
    stops the containers, as compose does). https: with Caddy in front (`make https`)."""
    require_compose()
    validate_settings(settings)
    command = ["docker", "compose", *compose_files(settings, dev, https), "up", "--build"]
    print(f"stack: a Docker engine answers: {' '.join(command)}", flush=True)
    os.chdir(ROOT)
    os.execvp("docker", command)


def down(settings):
    """`docker compose down` for the production, dev and https files; says so when nothing runs."""
    require_compose()
    base = ["docker", "compose", *compose_files(settings, dev=True, https=True)]
    listed = subprocess.run([*base, "ps", "--all", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and not listed.stdout.strip():
        print("stack: nothing to stop: no container of this project exists.")
        return False
    subprocess.run([*base, "down"], cwd=ROOT, check=False)
    return True


def engine_answers():
    """True when a Docker engine answers (not just a docker client on PATH)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
