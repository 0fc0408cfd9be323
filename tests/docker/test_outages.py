"""The API goes away and comes back while nginx stays up: `docker compose stop/start api`,
and gunicorn's master killed (SIGKILL) inside its container, which the restart policy undoes."""

import os
import signal
import time
from pathlib import Path

from support.rawhttp import request

API_TIMEOUT = 30  # .env.example's, which the stack runs with


def nginx_identity(stack):
    nginx = stack.container("nginx")
    return nginx.id, str(nginx.state.started_at), nginx.restart_count


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not seen within {timeout} s"
        time.sleep(0.2)


def api_answers(stack):
    try:
        return request(stack.port, "/api/", timeout=5).status == 302
    except OSError:
        return False


def test_stopped_api_gives_json_502_and_spa_still_loads_then_recovers(docker_stack):
    before = nginx_identity(docker_stack)
    docker_stack.client.compose.stop(["api"])
    try:
        # The container's address stays in nginx's resolver for up to a second after it exits
        # (valid=1s): a request then waits out proxy_connect_timeout for an address that is gone
        # and gets the JSON 504. Once nginx has looked the name up again, the 502 is immediate.
        deadline = time.monotonic() + 20
        while True:
            started = time.monotonic()
            response = request(docker_stack.port, "/api/result", timeout=API_TIMEOUT + 10)
            elapsed = time.monotonic() - started
            if response.status != 504 or time.monotonic() > deadline:
                break
            assert response.json()["status"] == 504
        assert response.status in (502, 503), response.text
        assert elapsed < 1
        assert response.header("Content-Type") == "application/json"
        assert response.json()["message"] == "The API is not reachable: it is down or restarting."
        spa = request(docker_stack.port, "/about")
        assert spa.status == 200 and '<div id="app">' in spa.text
    finally:
        docker_stack.client.compose.start(["api"])
    docker_stack.wait_healthy("api")
    wait_for(lambda: api_answers(docker_stack), 30, "/api/ answering again")
    assert request(docker_stack.port, "/api/").header("Location") == f"http://localhost:{docker_stack.port}/api/result"
    assert nginx_identity(docker_stack) == before


def test_killed_gunicorn_master_is_restarted_while_nginx_serves_the_spa(docker_stack):
    before = nginx_identity(docker_stack)
    api = docker_stack.container("api")
    # Read now: the container object shows the live state whenever it is asked.
    master, restarts = api.state.pid, api.restart_count
    assert b"gunicorn" in Path(f"/proc/{master}/cmdline").read_bytes(), "gunicorn is not the container's process"
    # From the host, as the kernel's OOM killer would: not through Docker, whose own kill
    # counts as a deliberate stop that no restart policy undoes.
    os.kill(master, signal.SIGKILL)
    spa_statuses = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        spa_statuses.append(request(docker_stack.port, "/").status)
        if docker_stack.container("api").restart_count > restarts and api_answers(docker_stack):
            break
        time.sleep(0.2)
    restarted = docker_stack.container("api")
    assert restarted.restart_count == restarts + 1
    assert restarted.state.pid != master
    assert api_answers(docker_stack)
    assert set(spa_statuses) == {200}, spa_statuses
    assert nginx_identity(docker_stack) == before
