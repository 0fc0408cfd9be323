"""Finds the programs the stack needs and installs missing ones from Debian when it can."""

import os
import shutil
import subprocess

from .errors import StackError

# program -> Debian package that provides it
PACKAGES = {
    "nginx": "nginx",
    "envsubst": "gettext-base",
    "socat": "socat",
    "lego": "lego",
    "caddy": "caddy",
    "haproxy": "haproxy",
    "chromium": "chromium",
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "curl": "curl",
    "openssl": "openssl",
    "pebble": "pebble",
    "certutil": "libnss3-tools",
    "systemd-analyze": "systemd",
    # MONITORING=1 natively, and make lint's promtool (the prometheus package ships both).
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-nginx-exporter": "prometheus-nginx-exporter",
}

_apt_updated = False


def _can_apt():
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def require(*programs, install=True):
    """Make sure every program is on PATH; apt-get the missing ones when running as root."""
    missing = [p for p in programs if shutil.which(p) is None]
    if not missing:
        return
    packages = sorted({PACKAGES.get(p, p) for p in missing})
    if install and _can_apt():
        global _apt_updated
        print(f"stack: installing {' '.join(packages)} with apt-get ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            if not _apt_updated:
                subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
                _apt_updated = True
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                check=True,
                env=env,
            )
        except subprocess.CalledProcessError as exc:
            raise StackError(f"apt-get failed ({exc}); install by hand: apt-get install {' '.join(packages)}") from exc
        still = [p for p in missing if shutil.which(p) is None]
        if not still:
            return
        missing = still
    raise StackError(
        f"missing program(s): {', '.join(missing)}. Install them with "
        f"'sudo apt-get install {' '.join(packages)}' (Debian/Ubuntu), "
        "or run the stack in Docker (STACK=docker make up)."
    )
