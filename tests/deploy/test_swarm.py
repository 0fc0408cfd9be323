"""The Swarm stack (deploy/swarm/stack.yml), run for real on a single-node swarm on loopback:
the API as several replicas that nginx finds through Docker's DNS, a rolling update of the API
under load, and a killed replica replaced.

The swarm is made for this test run (`docker swarm init --advertise-addr 127.0.0.1`) and left
when the run ends, unless one was already there. Every request goes to nginx's port on
127.0.0.1; load is bounded in count and time."""

import os
import re
import shutil
import subprocess
import time
import uuid
from collections import Counter

import pytest
import yaml
from python_on_whales import DockerException, docker

from stack.env import ROOT
from stack.native import free_port
from support.docker.engine import swarm_marker
from support.load import Load
from support.rawhttp import request

STACK_FILE = ROOT / "deploy" / "swarm" / "stack.yml"
STACK = yaml.safe_load(STACK_FILE.read_text())["services"]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
REPLICAS = STACK["api"]["deploy"]["replicas"]
# A team's own setting (docs/settings.md), written in .env only.
OWN_SETTING = "APP_GREETING"


def live(test):
    """A test that runs the stack: it needs the engine, and the first one builds the images."""
    return pytest.mark.docker(pytest.mark.timeout(900)(test))


def wait_until(check, timeout, what):
    """Poll `check` until it returns a true value; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# ---- The stack file, read ------------------------------------------------------------------------


def test_stack_keeps_the_compose_contract():
    for service in ("api", "nginx"):
        assert STACK[service]["environment"] == COMPOSE[service]["environment"], service
        assert STACK[service]["image"] == COMPOSE[service]["image"], service
        assert STACK[service]["healthcheck"]["test"] == COMPOSE[service]["healthcheck"]["test"], service
        assert STACK[service]["read_only"] is True and STACK[service]["cap_drop"] == ["ALL"]


def test_the_prometheus_example_scrapes_every_api_replica():
    example = yaml.safe_load((ROOT / "deploy" / "swarm" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in example["scrape_configs"]}
    port = int(STACK["api"]["environment"]["METRICS_BIND"].rsplit(":", 1)[1])
    assert jobs["api"]["dns_sd_configs"] == [
        {"names": ["tasks.api"], "type": "A", "port": port, "refresh_interval": "15s"}
    ]
    assert "ports" not in STACK["api"] and [p["target"] for p in STACK["nginx"]["ports"]] == [80]
    done = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", str(ROOT / "deploy" / "swarm" / "prometheus.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_overlay_network_is_encrypted():
    # nginx and the API talk plain HTTP between nodes, and nginx's forwarded headers are believed.
    networks = yaml.safe_load(STACK_FILE.read_text())["networks"]
    assert networks["backend"]["driver"] == "overlay"
    assert networks["backend"]["driver_opts"] == {"encrypted": "true"}


@pytest.mark.parametrize("service", ["api", "nginx"])
def test_every_service_has_memory_and_cpu_limits(service):
    limits = STACK[service]["deploy"]["resources"]["limits"]
    assert limits["memory"]
    # A node refuses a task whose cpus exceed its cores: one core fits every node.
    assert 0 < float(limits["cpus"]) <= 1


def test_api_replicas_are_found_through_dns_and_updated_start_first():
    deploy = STACK["api"]["deploy"]
    assert REPLICAS >= 2
    assert deploy["endpoint_mode"] == "dnsrr"
    assert deploy["update_config"]["order"] == "start-first"
    assert deploy["update_config"]["parallelism"] == 1
    assert STACK["nginx"]["environment"]["RESOLVER"] == "127.0.0.11"
    (port,) = STACK["nginx"]["ports"]
    assert port["mode"] == "host" and port["target"] == 80


def test_api_stops_after_nginx_has_forgotten_it():
    # Swarm drops a stopping task from DNS 2 s before SIGTERM; nginx re-resolves `valid` + 1 s
    # after an answer and resends a lost query after 5 s: gunicorn must accept until then.
    script = STACK["api"]["command"][-1]
    delay = int(re.search(r"trap 'sleep (\d+); kill -TERM \$\$pid' TERM", script)[1])
    valid = int(
        re.search(r"valid=(\d+)s", (ROOT / "nginx/docker-entrypoint.d/15-derive-settings.envsh").read_text())[1]
    )
    assert 2 + delay > valid + 1 + 5
    graceful = int(re.search(r"^graceful_timeout = (\d+)$", (ROOT / "backend/gunicorn.conf.py").read_text(), re.M)[1])
    grace = int(STACK["api"]["stop_grace_period"].rstrip("s"))
    assert grace > delay + graceful


# ---- The stack, run ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swarm(docker_engine):
    """A single-node swarm on loopback. One made here is left when the whole test run ends
    (tests/conftest.py), not when this module does: `docker swarm leave` breaks Docker's DNS on
    every network that exists at that moment (engine 20.10), so the compose stacks of the other
    Docker tests, running beside this module, would lose the name of their API."""
    state = docker.info().swarm.local_node_state
    if state == "inactive":
        docker.swarm.init(advertise_address="127.0.0.1")
        swarm_marker().write_text("made by this test run\n")
    elif state != "active":
        pytest.fail(f"the engine's swarm state is {state!r}, neither inactive nor active")
    return state


class Deployed:
    """A deployed stack: its name, nginx's port, and the API's tasks."""

    def __init__(self, name, port, tag):
        self.name, self.port, self.tag = name, port, tag
        self.api = f"{name}_api"

    def running_api_containers(self):
        """Container ids of the API tasks that should run and are running."""
        return {
            t.status.container_status.container_id
            for t in docker.service.ps(self.api)
            if t.desired_state == "running" and t.status.state == "running"
        }

    def healthy_api_containers(self):
        healthy = set()
        for cid in self.running_api_containers():
            try:
                if docker.container.inspect(cid).state.health.status == "healthy":
                    healthy.add(cid)
            except DockerException:
                pass  # gone between the two calls
        return healthy

    def reaches_every_replica(self):
        marker = f"ready-{uuid.uuid4().hex[:8]}"
        for _ in range(3 * REPLICAS):
            request(self.port, f"/api/result?{marker}", timeout=5)
        served = served_by(self.healthy_api_containers(), marker)
        return len(served) == REPLICAS and min(served.values()) > 0

    def api_answers(self):
        try:
            return request(self.port, "/api/result", timeout=5).status == 200
        except OSError:
            return False


@pytest.fixture(scope="module")
def deployed(swarm, images, tmp_path_factory):
    """The stack deployed under a name and port of its own, removed at the end."""
    name = f"vfn-swarm-{os.getpid()}"
    stack = Deployed(name, free_port(), images)
    # gunicorn's access log on (off by default): the tests tell the replicas apart by it.
    variables = {"IMAGE_TAG": images, "HTTP_PORT": str(stack.port), "GUNICORN_ACCESS_LOG": "1"}
    # From a checkout whose .env holds a team's own setting (the stack file reads ../../.env).
    checkout = tmp_path_factory.mktemp("swarm-checkout")
    (checkout / "deploy" / "swarm").mkdir(parents=True)
    shutil.copy(STACK_FILE, checkout / "deploy" / "swarm" / "stack.yml")
    (checkout / ".env").write_text(f"{OWN_SETTING}=hello from .env\n")
    stack_file = checkout / "deploy" / "swarm" / "stack.yml"
    docker.stack.deploy(name, compose_files=[stack_file], variables=variables, resolve_image="never")
    try:
        wait_until(lambda: len(stack.healthy_api_containers()) == REPLICAS, 180, f"{REPLICAS} healthy API replicas")
        wait_until(stack.api_answers, 60, "nginx answering /api/result")
        # nginx re-resolves the name every few seconds: wait until it sends to every replica.
        wait_until(stack.reaches_every_replica, 60, "nginx sending requests to every replica")
        yield stack
    finally:
        docker.stack.remove(name)
        label = f"com.docker.stack.namespace={name}"
        wait_until(
            lambda: not docker.container.list(all=True, filters=[("label", label)]), 90, "the stack's containers to go"
        )
        wait_until(lambda: not docker.network.list(filters=[("label", label)]), 60, "the stack's network to go")
        # `docker stack rm` leaves the stack's volumes.
        volumes = docker.volume.list(filters=[("label", label)])
        if volumes:
            docker.volume.remove(volumes)


@live
def test_a_teams_own_setting_in_dotenv_reaches_every_api_replica(deployed):
    for cid in deployed.healthy_api_containers():
        environ = docker.container.execute(cid, ["env"])
        assert f"{OWN_SETTING}=hello from .env" in environ.splitlines(), cid


def served_by(containers, marker):
    """How many requests with `marker` in their URL each container's gunicorn logged."""
    return {cid: docker.container.logs(cid).count(marker) for cid in containers}


@live
def test_requests_spread_over_every_replica(deployed):
    marker = f"spread-{uuid.uuid4().hex[:8]}"
    count = 30 * REPLICAS
    statuses = Counter(request(deployed.port, f"/api/result?{marker}").status for _ in range(count))
    assert statuses == {200: count}
    containers = deployed.healthy_api_containers()
    shares = served_by(containers, marker)
    print(f"requests per replica: {sorted(shares.values())} of {count}")
    assert len(shares) == REPLICAS
    assert sum(shares.values()) == count, "every request is in exactly one replica's log"
    assert min(shares.values()) >= count / REPLICAS / 2, shares


@live
def test_rolling_update_of_the_api_loses_no_request(deployed):
    before = deployed.healthy_api_containers()
    new_image = f"vue-flask-nginx/api:{deployed.tag}-next"
    docker.image.tag(f"vue-flask-nginx/api:{deployed.tag}", new_image)
    started = time.monotonic()
    with Load(deployed.port, threads=2, max_requests=60_000, max_seconds=240) as load:
        load.wait_for(200)
        docker.service.update(deployed.api, image=new_image, detach=True, quiet=True)

        def updated():
            status = docker.service.inspect(deployed.api).update_status
            current = deployed.healthy_api_containers()
            return (
                status is not None and status.state == "completed" and len(current) == REPLICAS and not current & before
            )

        wait_until(updated, 200, "the rolling update to complete")
        took = time.monotonic() - started
        # Requests keep going a little after the last old replica stopped.
        time.sleep(2)
    load.report(f"rolling update ({took:.0f} s)")
    assert load.outcomes == {200: load.total}
    assert load.total >= 1000, "the load ran during the whole update"


@live
def test_a_killed_replica_is_replaced(deployed):
    before = deployed.healthy_api_containers()
    victim = sorted(before)[0]
    with Load(deployed.port, threads=2, max_requests=30_000, max_seconds=120) as load:
        load.wait_for(200)
        killed_at = time.monotonic()
        docker.container.kill(victim)

        def replaced():
            current = deployed.healthy_api_containers()
            return len(current) == REPLICAS and victim not in current

        wait_until(replaced, 90, "Swarm to replace the killed replica")
        took = time.monotonic() - killed_at
        wait_until(lambda: load.total > 0 and deployed.api_answers(), 10, "answers after the replacement")
    load.report(f"kill of one replica, replaced in {took:.1f} s")
    # SIGKILL can cut the answers the killed replica was sending at that moment (at most one per
    # client thread); every other request must succeed.
    assert load.total - load.outcomes.get(200, 0) <= 2, load.outcomes
