"""Builds the SPA (npm ci + vite build) when its sources changed since the last build."""

import subprocess
import sys

from . import node
from .env import ROOT
from .errors import StackError
from .settings import DEFAULTS

FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
_BUILD_INPUTS = ("src", "public", "scripts", "index.html", "vite.config.ts", "package.json", "package-lock.json")


def _newest_mtime(paths):
    newest = 0.0
    for path in paths:
        if path.is_dir():
            for sub in path.rglob("*"):
                newest = max(newest, sub.stat().st_mtime)
        elif path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def _run(args, env):
    """Run an npm command in frontend/; its output is shown only when it fails."""
    print(f"stack: {' '.join(args)} in frontend/ ...", flush=True)
    result = subprocess.run(args, cwd=FRONTEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode:
        sys.stdout.write(result.stdout.decode(errors="replace"))
        raise StackError(f"'{' '.join(args)}' failed in frontend/ (exit {result.returncode}); see its output above.")


def ensure_installed(env=None):
    """npm ci when node_modules is missing or older than the lock file; returns the environment
    (PATH) that finds the Node in use."""
    env = node.environ(env, announce=True)
    marker = FRONTEND / "node_modules" / ".package-lock.json"
    lock = FRONTEND / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        _run(["npm", "ci", "--no-fund"], env)
    return env


def build(settings):
    """Build frontend/dist for the API prefix in `settings`, unless it is up to date."""
    env = ensure_installed()
    env["API_PREFIX"] = settings.get("API_PREFIX") or DEFAULTS["API_PREFIX"]
    stamp = DIST / ".api-prefix"
    fresh = (
        (DIST / "index.html").exists()
        and stamp.exists()
        and stamp.read_text() == env["API_PREFIX"]
        and _newest_mtime([DIST / "index.html"]) >= _newest_mtime(FRONTEND / p for p in _BUILD_INPUTS)
    )
    if not fresh:
        _run(["npm", "run", "build", "--silent"], env)
        stamp.write_text(env["API_PREFIX"])
    return DIST
