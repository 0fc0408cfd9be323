"""Fixtures of the deployment suites (Swarm and Kubernetes)."""

import pytest
from python_on_whales import docker

from support.docker.compose import ComposeStack, project_name


@pytest.fixture(scope="session")
def images(docker_engine):
    """The API and web images, built by compose from this checkout under a tag of this test
    run's own (returned); removed at the end with any other tag made from it (`<tag>-*`)."""
    build = ComposeStack(project_name("-deploy"))
    try:
        build.client.compose.build(quiet=True)
        yield build.settings["IMAGE_TAG"]
    finally:
        build.down()
        for image in docker.image.list(filters=[("reference", f"vue-flask-nginx/*:{build.project}-*")]):
            docker.image.remove(image.repo_tags, force=True)
