"""`docker compose up -d --scale api=N` on the running stack: nginx finds the new containers
(resolver + `resolve`) without a restart, and scaling back down loses no request."""

import json
import time
from collections import Counter

from support.load import Load
from support.rawhttp import request


def nginx_identity(stack):
    """What changes when nginx restarts or is recreated."""
    nginx = stack.container("nginx")
    return nginx.id, str(nginx.state.started_at), nginx.restart_count


def scale_api(stack, replicas):
    stack.client.compose.up(detach=True, wait=True, wait_timeout=300, scales={"api": replicas}, quiet=True)


def served_by(stack, request_ids):
    """For each api container, how many of `request_ids` its app logged (the redirect's line, JSON;
    gunicorn's access log is off as the stack ships)."""
    counts = Counter()
    wanted = set(request_ids)
    for container in stack.containers("api"):
        lines = [
            json.loads(line) for line in stack.client.container.logs(container).splitlines() if line.startswith("{")
        ]
        counts[container.name] = sum(line.get("logger") == "app" and line["request_id"] in wanted for line in lines)
    return counts


def test_scale_to_three_spreads_requests_without_restarting_nginx(docker_stack):
    before = nginx_identity(docker_stack)
    try:
        scale_api(docker_stack, 3)
        assert len(docker_stack.wait_healthy("api")) == 3
        # nginx looks the name up again within the resolver's valid=1s.
        deadline = time.monotonic() + 30
        while True:
            ids = [request(docker_stack.port, "/api/").header("X-Request-ID") for _ in range(30)]
            counts = served_by(docker_stack, ids)
            if sum(1 for n in counts.values() if n) == 3 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert sum(counts.values()) == 30, counts
        assert len(counts) == 3 and all(n >= 3 for n in counts.values()), counts
        assert nginx_identity(docker_stack) == before
    finally:
        scale_api(docker_stack, 1)


def test_scaling_back_to_one_loses_no_request(docker_stack):
    scale_api(docker_stack, 3)
    docker_stack.wait_healthy("api")
    time.sleep(2)  # nginx has all three (resolver valid=1s)
    before = nginx_identity(docker_stack)
    with Load(docker_stack.port, "/api/result", threads=4, max_requests=20000, max_seconds=60) as load:
        load.wait_for(50)
        scale_api(docker_stack, 1)
        # Past the resolver's 1 s, so requests also run against the shrunk upstream.
        time.sleep(3)
    load.report("scale 3 -> 1")
    assert len(docker_stack.containers("api")) == 1
    assert load.total > 100
    assert dict(load.outcomes) == {200: load.total}
    assert load.bad_bodies == 0
    assert nginx_identity(docker_stack) == before
