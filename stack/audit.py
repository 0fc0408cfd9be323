"""`make audit`: known advisories in the locked dependencies.

npm audit (high and critical) over frontend/package-lock.json, and pip-audit over the hashed
Python locks. Both ask an advisory service; where none answers, the audit says so in one line
and fails, since "nothing found" would be a lie. Exit status: 0 clean, 1 advisories found,
2 no advisory service answered.
"""

import subprocess
import sys

from . import node
from .env import ROOT

LOCKS = ("backend/requirements.txt", "stack/requirements.txt", "requirements-dev.txt", "lint/requirements.txt")
# The benchmark's lock, only where bench/ is: a copier copy leaves it out unless with_bench=true.
BENCH_LOCK = "bench/requirements.txt"
# What npm and pip-audit print when the service did not answer (as opposed to finding something).
_NPM_NO_SERVICE = ("audit endpoint returned an error", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT")
_PIP_NO_SERVICE = ("could not be audited", "ConnectionError", "ServiceError", "Max retries exceeded")


def python_locks(root=ROOT):
    """The hashed Python locks of the project: the product's, and the benchmark's where it is."""
    return LOCKS + ((BENCH_LOCK,) if (root / BENCH_LOCK).exists() else ())


def _run(args, cwd, env=None):
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return 1, "timed out after 600 s"
    return done.returncode, done.stdout + done.stderr


def status(code, out, no_service_marks):
    """'ok' (exit 0), 'no-service' (the output says the service did not answer) or 'found'."""
    if code == 0:
        return "ok"
    return "no-service" if any(mark in out for mark in no_service_marks) else "found"


def npm_audit():
    """(status, output)."""
    code, out = _run(["npm", "audit", "--audit-level=high"], ROOT / "frontend", env=node.environ())
    return status(code, out, _NPM_NO_SERVICE), out


def pip_audit():
    """(status, output); --strict turns "could not audit a package" into a failure."""
    args = [
        sys.executable,
        "-m",
        "pip_audit",
        "--strict",
        "--progress-spinner",
        "off",
        "--disable-pip",
        "--require-hashes",
    ]
    for lock in python_locks():
        args += ["-r", lock]
    code, out = _run(args, ROOT)
    return status(code, out, _PIP_NO_SERVICE), out


def run():
    results = {"npm audit": npm_audit(), "pip-audit": pip_audit()}
    unanswered = [name for name, (status, _) in results.items() if status == "no-service"]
    found = [name for name, (status, _) in results.items() if status == "found"]
    for name in found:
        print(f"--- {name} ---\n{results[name][1].strip()}")
    if unanswered:
        print(
            f"audit: no advisory service answered ({', '.join(unanswered)}): nothing was checked here; "
            "the audit runs in CI (.github/workflows/ci.yml)."
        )
        return 2 if not found else 1
    if found:
        print(f"audit: advisories found by {', '.join(found)} (see above).")
        return 1
    print("audit: no known advisories (npm: high and critical; Python: every advisory).")
    return 0
