"""The API's Prometheus metrics: requests, latency and requests in flight, per route template.

On when METRICS_BIND is set (docs/monitoring.md). Under gunicorn each worker writes its values
to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode), and the master
serves the sum of them on METRICS_BIND (gunicorn.conf.py), a listener nginx never proxies.
Labels are bounded: the route is Flask's URL rule (``/result``), never the raw path, and an
unknown method counts as ``other``.
"""

import time

from flask import g, request
from prometheus_client import Counter, Gauge, Histogram

# Seconds: the hello routes answer in about a millisecond; API_TIMEOUT (30 s) ends the scale.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# A request that matched no route (404, 405): one label, whatever the path was.
UNMATCHED = "unmatched"

_metrics = None


def _create():
    """The metric objects, once per process. registry=None: in multiprocess mode the values live
    in files and the master's collector reads them; no registry of this process serves them."""
    return {
        "requests": Counter(
            "api_requests", "Requests answered by the API.", ("route", "method", "status"), registry=None
        ),
        "latency": Histogram(
            "api_request_duration_seconds",
            "Time from the request reaching Flask to its answer.",
            ("route",),
            buckets=BUCKETS,
            registry=None,
        ),
        # livesum: the sum over the workers alive now (a dead worker's files are dropped).
        "in_flight": Gauge(
            "api_requests_in_flight", "Requests the API is serving now.", multiprocess_mode="livesum", registry=None
        ),
    }


def metrics():
    global _metrics
    if _metrics is None:
        _metrics = _create()
    return _metrics


def register(app):
    """Count every request of `app`: errors too (Flask runs after_request for its error pages)."""
    m = metrics()

    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()
        g.metrics_in_flight = True
        m["in_flight"].inc()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule else UNMATCHED
            method = request.method if request.method in METHODS else "other"
            m["requests"].labels(route, method, str(response.status_code)).inc()
            m["latency"].labels(route).observe(time.perf_counter() - started)
        return response

    @app.teardown_request
    def _done(_exc):
        # Paired with _start, also when a handler raised past after_request.
        if g.pop("metrics_in_flight", False):
            m["in_flight"].dec()

    return app
