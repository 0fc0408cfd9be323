"""The compose stack's metrics: the API's (gunicorn's master, METRICS_BIND) and nginx's
stub_status answer on the compose network, read from inside the api container, and are a 404
on the published port."""

import re

import pytest

from support.rawhttp import request

READ = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"


def from_the_network(docker_stack, url):
    """What `url` answers from inside the api container (Python is there in every image)."""
    return docker_stack.client.execute(docker_stack.container("api"), ["python", "-c", READ, url])


def test_the_api_metrics_count_what_nginx_sent(docker_stack):
    assert request(docker_stack.port, "/api/whoami").status == 200
    text = from_the_network(docker_stack, "http://api:9180/metrics")
    assert 'api_requests_total{method="GET",route="/whoami",status="200"}' in text
    # Other tests of the suite may kill workers of this shared stack: a count, whatever it is.
    assert re.search(r"^api_worker_restarts_total \d+\.0$", text, re.M)


def test_nginx_answers_stub_status_on_the_network(docker_stack):
    assert "Active connections:" in from_the_network(docker_stack, "http://nginx:8081/stub_status")


@pytest.mark.parametrize("path", ["/metrics", "/stub_status", "/nginx_status", "/api/metrics"])
def test_metrics_are_404_on_the_published_port(docker_stack, path):
    assert request(docker_stack.port, path).status == 404
