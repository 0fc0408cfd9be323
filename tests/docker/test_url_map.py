"""The README's URL map through Docker's published port: the native integration suites'
assertions (test_spa, test_api_proxy), run here against the compose stack (`stack` is
docker_stack in this folder's conftest). One set of assertions, two ways to run."""

from integration.test_api_proxy import *  # noqa: F401,F403
from integration.test_spa import *  # noqa: F401,F403
