"""Copies of this checkout for tests that change the project as a user would (the guide,
Copier): the copy shares the installed parts (.venv, .tools, frontend/node_modules) through
symlinks, so nothing is downloaded again, and runs its own unit suites."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from stack.settings import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]
# Installed or generated here: linked into the copy (the first three) or left out.
SHARED = (".venv", ".tools", "frontend/node_modules")
# What a checkout holds that is installed or made, never its source.
INSTALLED = (
    ".git",
    ".venv",
    ".venv-checkov",
    ".tools",
    "node_modules",
    "dist",
    ".run",
    "test-results",
    "__pycache__",
    ".pytest_cache",
)
NOT_COPIED = shutil.ignore_patterns(*INSTALLED)


def link_installed(project):
    """Symlink this checkout's installed parts into `project`."""
    for part in SHARED:
        if (ROOT / part).exists() and not (project / part).exists():
            (project / part).symlink_to(ROOT / part)


def copy_checkout(dest):
    """The checkout's files as they are now (uncommitted changes included), installed parts linked."""
    shutil.copytree(ROOT, dest, ignore=NOT_COPIED, symlinks=True)
    link_installed(dest)
    return dest


def clean_env():
    """The environment without the stack's settings (the project's defaults apply), and not as a
    sub-make of `make test` (make would print its directory changes)."""
    make_own = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    return {k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k not in make_own}


def run(args, cwd, timeout=600):
    """Run a command in the project; return its output, failing the test with it on a non-zero exit."""
    done = subprocess.run(
        args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode} in {cwd}:\n{output[-6000:]}"
    return output


def run_unit_suites(project):
    """Vitest and pytest tests/unit of `project`, with its own code; returns both outputs."""
    vitest = run([sys.executable, "-m", "stack", "npm", "run", "--silent", "test:unit"], project)
    pytest_out = run([sys.executable, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider"], project)
    return vitest, pytest_out
