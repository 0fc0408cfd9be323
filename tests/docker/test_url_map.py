"""The README's URL map through Docker's published port: the native integration suites'
assertions (test_spa, test_api_proxy, the served description, schemathesis), run here against
the compose stack (`stack` is docker_stack in this folder's conftest). One set of assertions,
two ways to run."""

from integration.test_api_contract import *  # noqa: F401,F403
from integration.test_api_description import (  # noqa: F401
    test_another_host_gets_another_body_and_etag,
    test_served_description_is_revalidated_not_stored,
    test_served_description_names_the_public_api_root,
)
from integration.test_api_proxy import *  # noqa: F401,F403
from integration.test_spa import *  # noqa: F401,F403
