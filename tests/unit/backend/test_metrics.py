"""The API's metrics (app/metrics.py), read from the metric objects: labels are route templates,
every answer is counted once, requests in flight go back to zero. Under gunicorn the same objects
write to files (tests/integration/test_monitoring.py reads them back through Prometheus)."""

import pytest

from app import metrics


def sample(name, **labels):
    """The value of one sample of the API's metrics (0 when it has none yet)."""
    for metric in metrics.metrics().values():
        for s in metric.collect()[0].samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0


@pytest.fixture
def client(make_app):
    app = make_app(METRICS_BIND="127.0.0.1:9180")

    @app.get("/boom/<int:n>")
    def boom(n):
        raise RuntimeError("a bug")

    return app.test_client()


def test_off_without_metrics_bind(make_app):
    app = make_app()
    assert not any("metrics" in getattr(f, "__module__", "") for f in app.before_request_funcs.get(None, []))


@pytest.mark.parametrize(
    "method, path, route, status",
    [
        ("GET", "/result", "/result", "200"),
        ("POST", "/result", "/result", "200"),
        ("GET", "/", "/", "302"),
        ("GET", "/no/such/path/123", "unmatched", "404"),
        ("DELETE", "/result", "unmatched", "405"),
        ("BREW", "/result", "unmatched", "405"),
        ("GET", "/boom/7", "/boom/<int:n>", "500"),
    ],
)
def test_each_answer_counts_once_under_its_route_template(client, method, path, route, status):
    shown_method = method if method in metrics.METHODS else "other"
    labels = {"route": route, "method": shown_method, "status": status}
    before = sample("api_requests_total", **labels)
    observed = sample("api_request_duration_seconds_count", route=route)
    response = client.open(path, method=method)
    assert response.status_code == int(status)
    assert sample("api_requests_total", **labels) == before + 1
    assert sample("api_request_duration_seconds_count", route=route) == observed + 1
    assert sample("api_requests_in_flight") == 0


def test_latency_lands_in_a_bucket(client):
    before = sample("api_request_duration_seconds_bucket", route="/health", le="+Inf")
    client.get("/health")
    assert sample("api_request_duration_seconds_bucket", route="/health", le="+Inf") == before + 1
    assert sample("api_request_duration_seconds_bucket", route="/health", le="30.0") == before + 1
