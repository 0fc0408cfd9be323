"""Copies of frontend/ and backend/ that a dev stack can run and a test can edit."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from stack import spa
from stack.env import ROOT


@dataclass
class Sources:
    frontend: Path
    backend: Path


def _link_or_copy(src, dst):
    """Hard-link a file (same file system: instant, no space), else copy it."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def copy_frontend(target):
    """frontend/ without its build; sources copied (the tests edit them), node_modules
    hard-linked without Vite's caches (Vite writes new files there, never into linked ones)."""
    spa.ensure_installed()
    shutil.copytree(spa.FRONTEND, target, ignore=shutil.ignore_patterns("node_modules", "dist"))
    shutil.copytree(
        spa.FRONTEND / "node_modules",
        target / "node_modules",
        symlinks=True,
        copy_function=_link_or_copy,
        ignore=shutil.ignore_patterns(".vite", ".vite-temp"),
    )
    return target


def copy_backend(target):
    shutil.copytree(ROOT / "backend", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target
