"""Fixtures of the Docker suite: the real compose stack on a real engine (see support/docker).

- docker_engine (tests/conftest.py): engine, Compose v2 and base images, or a skip with the reason.
- docker_stack: docker-compose.yml with the settings of .env.example as they ship (HTTP_PORT a
  free port, published on 127.0.0.1 and [::1] only), built, started and healthy; shared by the
  suite, and every test that changes it puts it back as it was.
"""

import pytest

from stack.env import ROOT, read_dotenv
from support.docker.compose import ComposeStack, project_name


def pytest_collection_modifyitems(items):
    # Every test here needs the engine; image builds make the first one slow.
    for item in items:
        if "tests/docker/" in str(item.path):
            item.add_marker(pytest.mark.docker)
            item.add_marker(pytest.mark.timeout(1200))


@pytest.fixture(scope="session")
def docker_stack(docker_engine):
    """The production stack as `cp .env.example .env && make up` runs it, detached."""
    # HTTP_PORT and IMAGE_TAG are the test run's own (ComposeStack).
    settings = {k: v for k, v in read_dotenv(ROOT / ".env.example").items() if k not in ("HTTP_PORT", "IMAGE_TAG")}
    stack = ComposeStack(project_name(), settings)
    try:
        stack.up()
        print(
            f"\ndocker: {stack.project} healthy {stack.seconds_to_healthy:.1f} s after `compose up --build`", flush=True
        )
        yield stack
    finally:
        stack.down()


@pytest.fixture
def stack(docker_stack):
    """The native suites' assertions (tests/integration), run against the compose stack."""
    return docker_stack
