"""Docker mode of the runner: `make up`, `make dev` and `make down` through Docker Compose v2.

The compose files are docker-compose.yml (COMPOSE_FILE, compose's own variable, may name other
files instead, separated by ':'), plus docker-compose.dev.yml for `make dev`; the project name
is compose's (COMPOSE_PROJECT_NAME, else the folder's name).
"""

import os
import shutil
import signal
import subprocess
import sys
import time

from . import env as stack_env
from . import settings as stack_settings
from .env import ROOT
from .errors import StackError

DEV_FILE = "docker-compose.dev.yml"
HTTPS_FILE = "docker-compose.https.yml"
DERIVE = ROOT / "nginx" / "docker-entrypoint.d" / "15-derive-settings.envsh"
DERIVE_STATUS = ROOT / "nginx" / "docker-entrypoint.d" / "16-derive-status.envsh"
DERIVE_TLS = ROOT / "nginx" / "docker-entrypoint.d" / "17-derive-tls.envsh"
GUNICORN_CONF = ROOT / "backend" / "gunicorn.conf.py"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def compose_files(settings, dev=False, https=False):
    files = [f for f in (settings.get("COMPOSE_FILE") or "docker-compose.yml").split(os.pathsep) if f]
    if dev and DEV_FILE not in files:
        files.append(DEV_FILE)
    if https and HTTPS_FILE not in files:
        files.append(HTTPS_FILE)
    return [arg for name in files for arg in ("-f", name)]


def compose_env(settings, profiles=()):
    """The environment of every `docker compose` the runner starts: its own, with HTTP_BIND as
    docker-compose.yml's port entry needs it (an IPv6 address in brackets, `[::1]`). compose
    reads .env too; the environment wins, so `HTTP_BIND=::1` in .env works through `make up`.
    profiles: compose profiles to turn on beside the user's (make https: acme)."""
    env = dict(os.environ)
    # MONITORING=1: compose's monitoring profile too (Prometheus and the nginx exporter).
    wanted = [*profiles, *(["monitoring"] if settings.get("MONITORING") == "1" else [])]
    if wanted:
        profiles = [p for p in env.get("COMPOSE_PROFILES", "").split(",") if p]
        env["COMPOSE_PROFILES"] = ",".join(dict.fromkeys([*profiles, *wanted]))
    try:
        address = stack_env.http_bind(settings)
    except StackError:  # left as it is: compose names it (make down must still run)
        return env
    if address is not None:
        env["HTTP_BIND"] = f"[{address}]" if address.version == 6 else str(address)
    return env


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
    env = {k: v for k, v in os.environ.items() if k not in stack_settings.SETTING_NAMES}
    env.update({k: v for k, v in settings.items() if k in stack_settings.SETTING_NAMES})
    env["PYTHONPATH"] = str(ROOT / "backend")
    checks = (
        ["sh", "-c", '. "$1" && . "$2" && . "$3"', "derive", str(DERIVE), str(DERIVE_STATUS), str(DERIVE_TLS)],
        [sys.executable, str(GUNICORN_CONF)],
    )
    for check in checks:
        result = subprocess.run(check, env=env, capture_output=True, text=True)
        if result.returncode:
            raise StackError(
                result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"{' '.join(check)} failed"
            )


def up(settings, dev=False, https=False, acme=False):
    """Check the settings, then run `docker compose up --build` in the foreground until Ctrl-C,
    which stops the containers (kept for the next `make up`; `make down` removes them).
    https: with nginx terminating TLS (`make https`); acme: and lego getting its certificate
    (the overlay's acme profile; make https-local has none). Returns the exit status."""
    require_compose()
    validate_settings(settings)
    base = ["docker", "compose", *compose_files(settings, dev, https)]
    profile = ["--profile", "acme"] if acme else []
    print(f"stack: a Docker engine answers: {' '.join([*base, *profile, 'up', '--build'])}", flush=True)
    return run_attached(base, compose_env(settings, profiles=("acme",) if acme else ()))


def run_attached(base, env=None):
    """`BASE up --build` with its output in this terminal, in a session of its own, so a Ctrl-C
    (or SIGTERM, SIGHUP) reaches only this runner. The runner then ends that compose client (it
    only builds and shows logs; the containers do not depend on it) and runs `BASE stop`, which
    stops them gracefully; a second Ctrl-C runs `BASE kill`. compose's own Ctrl-C handling is
    left out on purpose: Compose 2.26 (Debian 13's package) can panic in it ("close of closed
    channel", docker/compose#11710, fixed in 2.27), and nobody should read a Go stack trace
    after pressing Ctrl-C.

    Returns 0 once stopped by a signal, else compose's own exit status (a failed build, say)."""
    signals = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: signals.append(signum)) for sig in STOP_SIGNALS}
    try:
        client = subprocess.Popen(
            [*base, "up", "--build"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True
        )
        while client.poll() is None and not signals:
            time.sleep(0.1)
        if not signals:
            return client.returncode
        _kill_group(client)
        print("\nstack: stopping the containers (docker compose stop) ...", flush=True)
        stopper = subprocess.Popen([*base, "stop"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        while stopper.poll() is None:
            if len(signals) > 1:
                print("stack: stopping again: killing the containers (docker compose kill) ...", flush=True)
                _kill_group(stopper)
                subprocess.run([*base, "kill"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=False)
                break
            time.sleep(0.1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stack: stopped; the containers are kept for the next make up (make down removes them).", flush=True)
    return 0


def _kill_group(proc):
    """SIGKILL a child started in a session of its own, with its group, and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it ended on its own meanwhile
        pass
    proc.wait()


def down(settings):
    """`docker compose down` for the production, dev and https files; says so when nothing runs."""
    require_compose()
    base = _every_file(settings)
    env = compose_env(settings, profiles=("acme",))
    listed = subprocess.run([*base, "ps", "--all", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True)
    if listed.returncode == 0 and not listed.stdout.strip():
        print("stack: nothing to stop: no container of this project exists.")
        return False
    subprocess.run([*base, "down"], cwd=ROOT, env=env, check=False)
    return True


def logs_command(settings):
    """`docker compose logs -f` for whichever of the production, dev and https files ran."""
    return [*_every_file(settings), "logs", "-f", "--tail", "20"]


def _every_file(settings):
    return ["docker", "compose", *compose_files(settings, dev=True, https=True)]


def logs(settings):
    """Follow the containers' logs (nginx and gunicorn write to stdout and stderr) until Ctrl-C."""
    require_compose()
    env = compose_env(settings, profiles=("acme",))
    command = logs_command(settings)
    listed = subprocess.run([*_every_file(settings), "ps", "--all", "--quiet"], cwd=ROOT, env=env, capture_output=True)
    if listed.returncode == 0 and not listed.stdout.strip():
        raise StackError("no container of this project exists: start the stack first (make up).")
    print(f"stack: {' '.join(command)}", flush=True)
    os.chdir(ROOT)
    os.execvpe(command[0], command, env)


def engine_state(docker=("docker",)):
    """(state, detail) of the Docker engine as this user sees it:

    "ready" (detail: the engine's version), "absent" (no docker command), "refused" (the
    daemon's socket does not let this user in), "down" (no daemon answers), "error" (another
    failure; detail: docker's own words). docker: the command that runs the docker client."""
    if shutil.which(docker[-1]) is None:
        return "absent", ""
    try:
        done = subprocess.run(
            [*docker, "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, timeout=15
        )
    except subprocess.TimeoutExpired:
        return "down", "'docker version' got no answer within 15 s"
    except OSError as exc:
        return "error", str(exc)
    words = (done.stderr or "").strip()
    if done.returncode == 0 and done.stdout.strip():
        return "ready", done.stdout.strip()
    if "permission denied" in words.lower():
        return "refused", words.splitlines()[-1] if words else ""
    if "cannot connect to the docker daemon" in words.lower() or "is the docker daemon running" in words.lower():
        return "down", words.splitlines()[-1] if words else ""
    return "error", words.splitlines()[-1] if words else f"exit {done.returncode}"


def engine_answers():
    """True when a Docker engine answers (not just a docker client on PATH)."""
    return engine_state()[0] == "ready"


def unusable_engine_error(state, detail, forced):
    """The one line for an engine that is installed but cannot be used: the cause and the fixes."""
    why = {
        "refused": "Docker is installed, but this user may not use its engine (permission denied on its socket)",
        "down": "Docker is installed, but no Docker engine answers",
        "error": "Docker is installed, but 'docker version' fails",
        "absent": "there is no docker command on this machine",
    }[state]
    fix = {
        "refused": "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again) or "
        "run with sudo",
        "down": "start the engine (sudo systemctl start docker, or Docker Desktop)",
        "error": "see what 'docker version' says",
        "absent": "install Docker with the Compose v2 plugin",
    }[state]
    said = f" ({detail})" if detail and state != "absent" else ""
    if forced:
        return StackError(f"STACK=docker, but {why[0].lower()}{why[1:]}{said}: {fix}, or use STACK=native.")
    return StackError(f"{why}{said}: {fix}; or run without Docker: STACK=native make up.")
