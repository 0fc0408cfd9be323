"""`make dev` in Docker (docker-compose.dev.yml): the native dev suite's Chromium checks
(tests/dev/test_hot_reload.py), run against the compose dev stack: a .vue edit reaches the
open page through nginx as an HMR update, a Flask route edit is live on the next request, and
Vite's own port serves the app with the API behind it. The stack runs a copy of the checkout,
which the tests edit."""

import pytest
from dev.sources import Sources
from dev.test_hot_reload import (  # noqa: F401
    page,
    test_flask_route_edit_is_live_on_the_next_request,
    test_page_on_vites_own_port_gets_hmr_and_the_api,
    test_vue_edit_updates_the_page_through_nginx_without_a_reload,
)

from stack.native import free_port
from support.browser import warm_up
from support.docker.compose import ComposeStack, copy_checkout, project_name


@pytest.fixture(scope="module")
def dev_checkout(docker_engine, tmp_path_factory):
    return copy_checkout(tmp_path_factory.mktemp("docker-dev"))


@pytest.fixture(scope="module")
def dev_sources(dev_checkout):
    return Sources(dev_checkout / "frontend", dev_checkout / "backend")


@pytest.fixture(scope="module")
def dev_stack(docker_stack, dev_checkout, browser):
    """The production files plus the dev overlay, on the copy; images as the shared stack's."""
    vite_port = free_port()
    stack = ComposeStack(
        project_name("-dev"),
        {"VITE_PORT": vite_port, "WEB_CONCURRENCY": 1},
        files=("docker-compose.yml", "docker-compose.dev.yml"),
        directory=dev_checkout,
    )
    stack.vite_port = vite_port
    try:
        stack.up()
        print(f"\ndocker: dev stack healthy {stack.seconds_to_healthy:.1f} s after `compose up --build`", flush=True)
        warm_up(browser, stack.port)
        yield stack
    finally:
        stack.down(keep_cache=False)
