"""The machine and the programs a run was made with."""

import os
import platform
import subprocess
from pathlib import Path


def tool_version(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0] if text else None


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for module in ("gunicorn", "gevent", "gunicorn_h1c", "matplotlib"):
        try:
            versions[module] = getattr(__import__(module), "__version__", "installed")
        except ImportError:
            versions[module] = None
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": tool_version(["nginx", "-v"]),
        "wrk": (tool_version(["wrk", "--version"]) or "").split(" Copyright")[0] or None,
        **versions,
        "caddy": (tool_version(["caddy", "version"]) or "").split(" ")[0] or None,
        "haproxy": (tool_version(["haproxy", "-v"]) or "").split(" - ")[0] or None,
        "node": tool_version(["node", "--version"]),
    }
