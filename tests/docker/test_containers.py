"""Both containers of the running stack: healthy, unprivileged and locked down, as
docker-compose.yml asks (the URL map passing on the same stack shows that it still works); and,
rendered by compose without starting anything, the address the port is published on (HTTP_BIND)."""

import re
import subprocess
from pathlib import Path

import pytest
from python_on_whales import DockerClient, DockerException

from stack.docker import compose_env
from stack.env import ROOT
from support.docker import DockerUnavailable, ensure_compose

SERVICES = ["api", "nginx"]


def process_status(pid):
    """Fields of /proc/PID/status on the host (the containers share its kernel)."""
    text = Path(f"/proc/{pid}/status").read_text()
    return dict(re.findall(r"^(\w+):\s*(.*)$", text, re.M))


def container_pids(container):
    """The container's main process and every process below it, seen from the host."""
    pids, todo = [], [container.state.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").iterdir():
            todo.extend(int(child) for child in (task / "children").read_text().split())
    return pids


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_healthy(docker_stack, service):
    container = docker_stack.container(service)
    assert container.state.health.status == "healthy", container.state.health.log[-1:]
    assert container.restart_count == 0


@pytest.mark.parametrize("service", SERVICES)
def test_every_process_runs_as_a_non_root_user(docker_stack, service):
    container = docker_stack.container(service)
    pids = container_pids(container)
    assert len(pids) >= 2, "expected a master and its workers"
    for pid in pids:
        real, effective, saved, _fs = process_status(pid)["Uid"].split()
        assert "0" not in (real, effective, saved), (pid, process_status(pid)["Name"])


@pytest.mark.parametrize("service", SERVICES)
def test_root_file_system_is_read_only(docker_stack, service):
    container = docker_stack.container(service)
    assert container.host_config.readonly_rootfs is True
    with pytest.raises(DockerException) as refused:
        docker_stack.client.execute(container, ["sh", "-c", "echo x > /usr/local/probe"])
    assert "Read-only file system" in str(refused.value.stderr)
    # What the service writes goes to its tmpfs mounts.
    docker_stack.client.execute(container, ["sh", "-c", "echo x > /tmp/probe && rm /tmp/probe"])


@pytest.mark.parametrize("service", SERVICES)
def test_no_capabilities_and_no_new_privileges(docker_stack, service):
    container = docker_stack.container(service)
    assert container.host_config.cap_drop == ["ALL"]
    assert not container.host_config.cap_add
    assert "no-new-privileges:true" in container.host_config.security_opt
    for pid in container_pids(container):
        status = process_status(pid)
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0, (pid, status["Name"])
        assert status["NoNewPrivs"] == "1", (pid, status["Name"])


@pytest.fixture(scope="module")
def compose_cli():
    """`docker compose` alone: rendering a compose file needs the plugin, not an engine."""
    try:
        return ensure_compose()
    except DockerUnavailable as exc:
        pytest.skip(f"DOCKER TESTS NOT RUN: {exc}")


@pytest.mark.parametrize("bind, host_ip", [("", None), ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1")])
def test_http_bind_is_the_published_port_address(compose_cli, tmp_path, monkeypatch, bind, host_ip):
    """docker-compose.yml's port entry as compose renders it (no container starts), with
    HTTP_BIND as `make up` hands it to compose (an IPv6 address in brackets)."""
    for name in ("HTTP_BIND", "HTTP_PORT"):  # the environment would win over the env file
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "compose.env"
    env_file.write_text(f"HTTP_PORT=8123\nHTTP_BIND={compose_env({'HTTP_BIND': bind}).get('HTTP_BIND', '')}\n")
    client = DockerClient(
        compose_files=[ROOT / "docker-compose.yml"],
        compose_project_name="http-bind-config",
        compose_project_directory=ROOT,
        compose_env_files=[env_file],
    )
    (port,) = client.compose.config(return_json=True)["services"]["nginx"]["ports"]
    assert (port.get("host_ip"), str(port["published"]), port["target"]) == (host_ip, "8123", 80)


def test_only_nginx_is_published_and_only_on_loopback(docker_stack):
    published = docker_stack.container("nginx").network_settings.ports["80/tcp"]
    assert {(p["HostIp"], p["HostPort"]) for p in published} == {
        ("127.0.0.1", str(docker_stack.port)),
        ("::1", str(docker_stack.port)),
    }
    assert not any(docker_stack.container("api").network_settings.ports.values())


def test_the_nginx_image_refuses_a_bad_trusted_proxy_in_one_line(docker_stack):
    """Where the image starts without the runner (Swarm, Kubernetes), nginx's verdict on a
    TRUSTED_PROXIES entry stops the container before it serves, with one line naming it."""
    image = docker_stack.container("nginx").config.image
    settings = ["-e", "TRUSTED_PROXIES=10.0.0.0/8 10.1.0.0/33", "-e", "API_BIND=api:8000"]
    refused = subprocess.run(
        ["docker", "run", "--rm", "--read-only", "--tmpfs", "/tmp", *settings, image],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "nginx settings: TRUSTED_PROXIES holds '10.1.0.0/33', which nginx does not take as an IP address or "
        "CIDR range (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)."
    ]
