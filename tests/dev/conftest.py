"""Fixtures for `make dev`: a DevStack on free ports that runs copies of frontend/ and backend/,
so the tests can edit sources and watch them reload without touching the checkout.

- dev_sources: the copies (frontend with node_modules hard-linked, backend), one per session.
- dev_stack: DevStack (Vite, gunicorn --reload, nginx in dev mode) on those copies.
- browser (tests/conftest.py): one headless Chromium for the session.
"""

import os
import shutil

import pytest
from dev.sources import Sources, copy_backend, copy_frontend

from stack.dev import DevStack
from stack.errors import StackError
from stack.native import RUN_ROOT, free_port
from support.browser import warm_up
from support.stacks import stack_settings


@pytest.fixture(scope="session", autouse=True)
def _remove_dev_run_folders():
    """At the end, every .run/tests/<pid>-dev* folder this session's dev stacks made."""
    yield
    for folder in (RUN_ROOT / "tests").glob(f"{os.getpid()}-dev*"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def dev_sources(tmp_path_factory):
    """Editable copies of frontend/ and backend/ for the session."""
    folder = tmp_path_factory.mktemp("dev-sources")
    return Sources(copy_frontend(folder / "frontend"), copy_backend(folder / "backend"))


def start_dev_stack(name, sources=None, **overrides):
    """A started DevStack on free ports (retried when another process takes a port first)."""
    for attempt in range(3):
        settings = stack_settings(VITE_PORT=free_port(), **overrides)
        stack = DevStack(
            settings,
            name=name,
            quiet=True,
            frontend_dir=sources.frontend if sources else None,
            backend_dir=sources.backend if sources else None,
        )
        try:
            return stack.start()
        except StackError as exc:
            if "already in use" not in str(exc) or attempt == 2:
                raise


@pytest.fixture(scope="session")
def dev_stack(dev_sources, browser):
    """`make dev` on the copies: Vite with HMR, gunicorn with reload, nginx in front, its first
    page load (Vite bundling the dependencies) done."""
    name = f"tests/{os.getpid()}-dev"
    stack = start_dev_stack(name, dev_sources, WEB_CONCURRENCY=1)
    warm_up(browser, stack.port)
    yield stack
    stack.stop()
