"""gunicorn settings: the one place for server settings, every value from the environment.

The same file serves the Docker image and the native run (`make up` without Docker).
"""

import importlib.util
import os
import sys

from gunicorn.glogging import Logger


def _load_app_module(name):
    """app/<name>.py on its own, without the app package. Workers fork from this master
    process: an app module imported here would be the code every worker runs, and a reload
    (GUNICORN_RELOAD=1) would restart workers on the old code. Each worker imports the app."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_gunicorn_app_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


settings = _load_app_module("settings")
logs = _load_app_module("logs")


# Fail at start-up, with the variable named, rather than serve wrong URLs. The runner checks the
# same rules (stack/settings.py) before it builds or starts anything.
try:
    _settings = settings.load()
    _server = settings.load_server()
except settings.SettingsError as exc:
    sys.exit(f"gunicorn: {exc}")

# --- Where to listen -------------------------------------------------------------------------
# API_BIND: natively a unix socket the runner names; in Docker 0.0.0.0:8000 on the compose
# network (never published). Unset, gunicorn's own default.
if _server.bind:
    bind = [_server.bind]
wsgi_app = "wsgi:app"
chdir = os.path.dirname(os.path.abspath(__file__))

# --- The prefix ------------------------------------------------------------------------------
# gunicorn strips SCRIPT_NAME from the path, so routes are written without it and url_for()
# puts it back. It comes from API_PREFIX, the setting nginx and the SPA read too.
os.environ["SCRIPT_NAME"] = _settings.api_prefix

# --- Forwarded headers -----------------------------------------------------------------------
# nginx decides which forwarded headers are true and ProxyFix (in the app) believes exactly that
# one hop. gunicorn applies none itself: its own scheme headers would be a second decision, it
# trusts every unix-socket peer, and it answers 400 when X-Forwarded-Ssl and -Proto disagree.
secure_scheme_headers = {}
forwarder_headers = ""

# --- Workers ---------------------------------------------------------------------------------
# gthread keeps nginx's upstream connections alive between requests (sync workers close each
# one); nginx buffers bodies in front, so slow clients never hold a worker.
worker_class = _server.worker_class
# Cores + 1 (WEB_CONCURRENCY): nginx shares the cores; 2 x cores + 1 measured 5-20% slower.
workers = _server.workers
# 16 threads: a route that waits (a database call) holds a thread, not a core. make bench, 50 ms
# route at 64 clients: 2 threads ~100 req/s, 16 ~740, for ~1 MiB more per worker. gevent went
# further but patches the standard library (docs/performance.md); sync serves one at a time.
threads = _server.threads
# Above nginx's proxy_read_timeout (API_TIMEOUT), so nginx answers a slow request with a JSON
# 504 before gunicorn kills the worker.
timeout = _server.timeout
graceful_timeout = 20
# Longer than nginx keeps an idle upstream connection, so gunicorn never closes one that nginx
# is about to reuse (a closed-while-reused connection shows up as a sporadic 502).
keepalive = _server.keepalive
reload = os.environ.get("GUNICORN_RELOAD") == "1"

# Several gunicorns may run on one machine (tests, dev); none of them needs the control socket.
control_socket_disable = True

# --- Logging ---------------------------------------------------------------------------------
# One configuration for gunicorn's error and access logs and the app's logger (app/logs.py):
# LOG_FORMAT json (one object per line, with the request id) or text; errors to stderr, access
# lines to stdout, both collected by Docker, supervisord (.run/NAME/gunicorn.log) or journald.
loglevel = _server.log_level
logconfig_dict = logs.config(_server.log_format, _server.log_level, _server.access_log)
access_log_format = logs.ACCESS_TEXT_FORMAT


class _AccessSwitch(Logger):
    """GUNICORN_ACCESS_LOG=0: no access line, and none of its per-request work (gunicorn builds
    a dict of every header and environ key for a line whenever a logging config is given)."""

    def access(self, resp, req, environ, request_time):
        if _server.access_log:
            super().access(resp, req, environ, request_time)


logger_class = _AccessSwitch

# --- Metrics (METRICS_BIND) ------------------------------------------------------------------
# prometheus-client's multiprocess mode: each worker writes its counters to files in
# PROMETHEUS_MULTIPROC_DIR, and this master serves their sum on METRICS_BIND, a listener of its
# own that nginx never proxies (docs/monitoring.md). The master outlives its workers, so counts
# of a killed worker stay, and it counts the worker restarts itself. Chosen over gunicorn's
# statsd, which has no route label and whose exporter Debian does not package.
if _server.metrics_bind:
    _worker_restarts = None

    def _restarts():
        # Made after the folder is ready; made again after a reload (SIGHUP reads this file
        # again), it reads on from the master's own file.
        global _worker_restarts
        if _worker_restarts is None:
            from prometheus_client import Counter

            _worker_restarts = Counter(
                "api_worker_restarts", "gunicorn workers that exited while the master ran on.", registry=None
            )
        return _worker_restarts

    def on_starting(server):
        # A folder of this master's own, set before prometheus_client is imported (here or in a
        # worker): it picks its file-backed values at import. Removed in on_exit.
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="api-metrics-")

    def when_ready(server):
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        _restarts()  # at 0 from the start, so the first restart is an increase
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
        host, _, port = _server.metrics_bind.rpartition(":")
        server.metrics_httpd, _thread = start_http_server(int(port), host.strip("[]"), registry)
        server.log.info("Metrics at http://%s/metrics", _server.metrics_bind)

    def post_fork(server, worker):
        # The worker's copy of the metrics listener: closed, so only the master ever holds it
        # (an orphaned worker would keep the port from a new master).
        server.metrics_httpd.socket.close()

    def child_exit(server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, os.environ["PROMETHEUS_MULTIPROC_DIR"])
        _restarts().inc()

    def on_exit(server):
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
