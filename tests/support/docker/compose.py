"""A compose project that the tests start, query and remove: the project's compose files plus
tests/docker/loopback.yml (nginx published on 127.0.0.1 only), under a project name and image
tag of its own, so several test runs share one engine without touching each other."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from python_on_whales import DockerClient

from stack.env import ROOT
from stack.native import free_port
from support.copies import INSTALLED

LOOPBACK = ROOT / "tests" / "docker" / "loopback.yml"
# The same for the dev overlay's Vite port.
LOOPBACK_DEV = ROOT / "tests" / "docker" / "loopback.dev.yml"
# Images of finished test runs keep this tag: the next run's build reuses their layers.
CACHE_TAG = "test-cache"


class ComposeStack:
    """`docker compose` for one project: files (relative to `directory`), settings as an env file.

    port: the published port of nginx on 127.0.0.1 (HTTP_PORT).
    last: compose files read after the loopback ones, which they override.
    profiles: compose profiles turned on (docker-compose.https.yml's acme).
    """

    def __init__(self, project, settings=None, files=("docker-compose.yml",), directory=ROOT, last=(), profiles=()):
        self.project = project
        self.directory = Path(directory)
        self.port = int((settings or {}).get("HTTP_PORT") or free_port())
        self.settings = {"IMAGE_TAG": project, **(settings or {}), "HTTP_PORT": str(self.port)}
        # Outside the checkout: compose reads it, git and the build context never see it.
        self.env_file = Path(tempfile.gettempdir()) / f"compose-{project}.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
        self.files = [self.directory / f for f in files] + [LOOPBACK]
        if "docker-compose.dev.yml" in files:
            self.files.append(LOOPBACK_DEV)
        # Files that must win over the loopback ones (a test's own ports).
        self.files += [Path(f) for f in last]
        self.client = DockerClient(
            compose_files=self.files,
            compose_project_name=project,
            compose_project_directory=self.directory,
            compose_env_files=[self.env_file],
            compose_profiles=list(profiles),
        )
        self.profiles = list(profiles)
        self.seconds_to_healthy = None

    @property
    def url(self):
        return f"http://localhost:{self.port}"

    @property
    def compose_command(self):
        """The `docker compose` command line for this project (for commands the client lacks)."""
        files = [arg for f in self.files for arg in ("-f", str(f))]
        return [
            "docker",
            "compose",
            "-p",
            self.project,
            "--project-directory",
            str(self.directory),
            "--env-file",
            str(self.env_file),
            *files,
            *(arg for profile in self.profiles for arg in ("--profile", profile)),
        ]

    def up(self, wait_timeout=600, **options):
        """Build, start and wait until every service is healthy; records the time that took."""
        started = time.monotonic()
        self.client.compose.up(detach=True, build=True, wait=True, wait_timeout=wait_timeout, quiet=True, **options)
        self.seconds_to_healthy = time.monotonic() - started
        return self

    def containers(self, service):
        return [c for c in self.client.compose.ps() if c.config.labels.get("com.docker.compose.service") == service]

    def container(self, service):
        (one,) = self.containers(service)
        return one

    def wait_healthy(self, service, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.containers(service)
            if found and all(c.state.health and c.state.health.status == "healthy" for c in found):
                return found
            time.sleep(0.5)
        raise TimeoutError(
            f"{service} not healthy after {timeout} s: {[(c.name, c.state.status) for c in self.containers(service)]}"
        )

    def published_peer(self):
        """The address nginx sees for a client on 127.0.0.1: Docker's port publishing (its
        userland proxy, or NAT) connects from the gateway of the project's network."""
        nginx = self.container("nginx")
        network = next(iter(nginx.network_settings.networks.values()))
        return network.gateway

    def down(self, keep_cache=True):
        """Remove containers, networks and volumes; keep the built layers under CACHE_TAG."""
        try:
            self.client.compose.down(volumes=True, remove_orphans=True, timeout=10)
        finally:
            tag = self.settings["IMAGE_TAG"]
            for image in self.client.image.list(filters=[("reference", f"vue-flask-nginx/*:{tag}")]):
                for name in image.repo_tags:
                    if name.endswith(f":{tag}"):
                        if keep_cache:
                            self.client.image.tag(image, name.rsplit(":", 1)[0] + f":{CACHE_TAG}")
                        self.client.image.remove(name, force=True)
            self.env_file.unlink(missing_ok=True)


def copy_checkout(target):
    """The checkout's files (tracked, and new ones not ignored) copied to `target`: a compose
    project there builds and mounts the copy, which a test may edit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
    )
    if listed.returncode == 0:
        names = filter(None, listed.stdout.decode().split("\0"))
    else:  # not a git checkout (a copier copy before its first commit): the tree, less what is installed
        names = _files_not_installed(ROOT)
    for name in names:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return Path(target)


def _files_not_installed(root):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in INSTALLED]
        for file in files:
            if file != ".env":
                yield os.path.relpath(os.path.join(folder, file), root)


def project_name(suffix=""):
    """A compose project name unique to this test process."""
    return f"vfn-test-{os.getpid()}{suffix}"
