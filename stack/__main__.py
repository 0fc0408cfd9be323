"""The stack runner: `python -m stack COMMAND`; each Makefile target calls one command."""

import argparse
import os
import signal
import sys
import time

from . import docker as docker_mode
from . import env as stack_env
from . import logs, node, tools
from . import settings as stack_settings
from .dev import DevStack
from .env import ROOT
from .errors import StackError
from .native import RUN_ROOT, NativeStack


def _pid_file(name):
    return RUN_ROOT / name / "runner.pid"


def choose_mode(settings):
    """(mode, why): docker or native, and a line saying which and why. STACK when set, else
    Docker when its engine answers and native when there is no docker command. Docker installed
    but unusable is an error naming the cause, never a silent switch to native."""
    mode = settings.get("STACK", "").strip().lower()
    if mode not in ("", "docker", "native"):
        raise StackError(f"STACK={mode!r} is not a mode: use docker or native, or leave it empty to choose.")
    if mode == "native":
        return mode, "stack: STACK=native: running natively"
    state, detail = docker_mode.engine_state()
    if state == "ready":
        forced = " (STACK=docker)" if mode else ""
        return "docker", f"stack: Docker engine {detail} answers{forced}: running in Docker"
    if state == "absent" and not mode:
        return "native", "stack: no docker command on this machine: running natively (STACK=docker forces Docker)"
    raise docker_mode.unusable_engine_error(state, detail, forced=bool(mode))


def up_native(settings, name, stack):
    stop = []

    def on_signal(signum, _frame):
        stop.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    stack.start()
    pid_file = _pid_file(name)
    pid_file.write_text(str(os.getpid()))
    print(f"stack: running ({stack.mode}); supervisord restarts a service that crashes. Ctrl-C stops it.", flush=True)
    try:
        while not stop:
            stack.watch()
            time.sleep(0.2)
        print("stack: stopping ...", flush=True)
    finally:
        stack.stop()
        pid_file.unlink(missing_ok=True)
    print("stack: stopped; nothing left running.")


def _run(args, native_stack):
    """Docker when an engine answers (or STACK=docker), else the native stack in the foreground."""
    # Every setting is checked first, in either mode, before anything is built or started.
    settings = stack_settings.validate(stack_env.load())
    mode, why = choose_mode(settings)
    print(why, flush=True)
    if mode == "docker":
        sys.exit(docker_mode.up(settings, dev=native_stack is DevStack))
    up_native(settings, args.name, native_stack(settings, name=args.name))


def cmd_up(args):
    _run(args, NativeStack)


def cmd_dev(args):
    _run(args, DevStack)


def cmd_down(args):
    settings = stack_env.load()
    stopped = False
    # Without --name: whichever of `make up` and `make dev` runs.
    for name in [args.name] if args.name else ["native", "dev", "https"]:
        stopped = _stop_runner(name) or stopped
    mode = settings.get("STACK", "").strip().lower()
    if mode != "native" and docker_mode.engine_answers():
        docker_mode.down(settings)
    elif mode == "docker":
        raise docker_mode.unusable_engine_error(*docker_mode.engine_state(), forced=True)
    elif not stopped:
        print("stack: nothing to stop.")


def cmd_logs(args):
    """Follow the logs of the stack that runs: a native run's files (tail -F), else the
    containers' (docker compose logs -f)."""
    settings = stack_env.load()
    for name in [args.name] if args.name else ["native", "dev", "https"]:
        if _runner_alive(name):
            files = [logs.shown(path) for path in logs.run_logs(RUN_ROOT / name)]
            print(f"stack: the native stack ({name}) runs: tail -F {' '.join(files)}", flush=True)
            os.chdir(ROOT)
            os.execvp("tail", ["tail", "-n", "20", "-F", *files])
    mode = settings.get("STACK", "").strip().lower()
    if mode != "native" and docker_mode.engine_answers():
        docker_mode.logs(settings)
    which = f"({args.name}) " if args.name else ""
    engine = " (STACK=native)" if mode == "native" else " and no Docker engine answers"
    raise StackError(
        f"no native stack {which}runs{engine}: start one with make up; "
        f"the last native run's logs stay in .run/{args.name or 'native'}/."
    )


def _runner_alive(name):
    """Whether the runner whose pid file is in .run/<name>/ is running."""
    try:
        os.kill(int(_pid_file(name).read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def _stop_runner(name):
    """SIGTERM the runner whose pid file is in .run/<name>/ and wait for it; True if it ran."""
    stopped = False
    pid_file = _pid_file(name)
    if pid_file.exists():
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            stopped = True
            for _ in range(150):
                os.kill(pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
        print(
            f"stack: the native stack ({name}) is stopped."
            if stopped
            else f"stack: no native stack ({name}) was running."
        )
    return stopped


def cmd_doctor(args):
    from . import doctor

    settings = stack_env.load()
    url = args.url or f"http://localhost:{stack_env.http_port(settings)}/"
    prefix = args.prefix or settings.get("API_PREFIX") or stack_settings.DEFAULTS["API_PREFIX"]
    sys.exit(doctor.run(url, prefix=prefix, connect=args.connect, cafile=args.cafile, insecure=args.insecure))


def cmd_https(args):
    from . import https, local_ca
    from .tls_edge import HttpsStack

    settings = stack_env.load()
    stack_env.http_port(settings)
    mode, why = choose_mode(settings)
    # Every setting is checked before anything starts.
    updates = https.check(settings, local=args.local)
    settings.update(updates)
    print(why, flush=True)
    if mode == "docker":
        if args.local:
            # The overlay mounts these files into nginx in place of the ACME client's volume.
            local_ca.ensure()
            updates["TLS_FILES"] = str(local_ca.paths()[1].parent.parent)
        os.environ.update(updates)
        sys.exit(docker_mode.up(settings, https=True, acme=not args.local))
    print("stack: natively, nginx terminating TLS itself", flush=True)
    up_native(settings, args.name, HttpsStack(settings, name=args.name))


def cmd_systemd(args):
    from . import systemd

    settings = stack_settings.validate(stack_env.load())
    files = systemd.render(settings, args.out, args.user, name=args.name)
    print(f"stack: wrote {', '.join(f.name for f in files)} to {files[0].parent}")
    print(
        f"stack: install them with: sudo cp {files[0].parent}/{args.name}*.service "
        f"{files[0].parent}/{args.name}.target "
        f"/etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now {args.name}.target"
    )


def cmd_tools(args):
    tools.require(*args.programs)


def cmd_npm(args):
    sys.exit(node.run_npm(args.args))


def cmd_audit(args):
    from . import audit

    sys.exit(audit.run())


def cmd_rename(args):
    from . import rename

    rename.rename(ROOT, name=args.name, title=args.title, prefix=args.prefix, port=args.port, domain=args.domain)
    print("stack: renamed; `git diff` shows every change.")


def cmd_node(args):
    print(f"stack: {node.select(install=not args.no_install)[1]}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for command, func, name, text in (
        ("up", cmd_up, "native", "run the stack in the foreground"),
        ("dev", cmd_dev, "dev", "run it with hot reload: Vite's dev server and gunicorn --reload behind nginx"),
        ("down", cmd_down, None, "stop a running stack"),
        ("logs", cmd_logs, None, "follow the logs of the running stack, native or Docker"),
    ):
        p = sub.add_parser(command, help=text)
        p.add_argument("--name", default=name, help="folder under .run/ for the native run's config, logs and socket")
        p.set_defaults(func=func)
    p = sub.add_parser("doctor", help="probe a running deployment and say what is wrong")
    p.add_argument("url", nargs="?", help="the URL a browser would open (default: the local stack)")
    p.add_argument("--prefix", help="the API prefix (default: API_PREFIX or /api)")
    p.add_argument("--connect", metavar="ADDRESS", help="connect to this address instead of the URL's host")
    p.add_argument("--cafile", help="CA certificate to verify https with")
    p.add_argument("--insecure", action="store_true", help="do not verify the https certificate")
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("https", help="run the stack with nginx terminating TLS: https for DOMAIN, certificates by ACME")
    p.add_argument("--local", action="store_true", help="https://localhost:8443/ with a local CA's certificate instead")
    p.add_argument("--name", default="https", help="folder under .run/ for the native run")
    p.set_defaults(func=cmd_https)

    p = sub.add_parser("systemd", help="write systemd units that run the native stack as services")
    p.add_argument("--out", default=str(ROOT / ".run" / "systemd"), help="folder for the units (default: .run/systemd)")
    p.add_argument("--user", default="www-data", help="the user the services run as (default: www-data)")
    p.add_argument("--name", default="app", help="prefix of the unit names (default: app)")
    p.set_defaults(func=cmd_systemd)
    p = sub.add_parser("tools", help="install missing programs (as root, from Debian)")
    p.add_argument("programs", nargs="+")
    p.set_defaults(func=cmd_tools)
    p = sub.add_parser("npm", help="npm in frontend/ on the Node that engines allows (installed when missing)")
    p.set_defaults(func=cmd_npm)
    p = sub.add_parser("audit", help="known advisories in the npm and Python locks (needs an advisory service)")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("rename", help="make the template your app: its name, title, API prefix, port, domain")
    p.add_argument("--name", help="package name: lower case, digits, dashes (e.g. my-app)")
    p.add_argument("--title", help="the name people read, in the header and the browser tab")
    p.add_argument("--prefix", help="the API's path prefix (e.g. /api)")
    p.add_argument("--port", help="the default public port (HTTP_PORT)")
    p.add_argument("--domain", help="the deployment's host name, as the ALLOWED_HOSTS example")
    p.set_defaults(func=cmd_rename)
    p = sub.add_parser("node", help="say which Node the frontend uses (installing the pinned one when needed)")
    p.add_argument("--no-install", action="store_true", help="only say; do not install the pinned Node")
    p.set_defaults(func=cmd_node)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["npm"]:
        # Everything after `npm` is npm's, options included.
        args = parser.parse_args(["npm"])
        args.args = argv[1:]
    else:
        args = parser.parse_args(argv)
    try:
        args.func(args)
    except stack_settings.BadSettings as exc:
        for problem in exc.problems:
            print(f"stack: error: {problem}", file=sys.stderr)
        return 1
    except StackError as exc:
        print(f"stack: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
