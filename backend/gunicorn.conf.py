"""gunicorn settings: the one place for server settings, every value from the environment.

The same file serves the Docker image and the native run (`make up` without Docker).
"""

import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from app import settings  # noqa: E402

# Fail at start-up, with the variable named, rather than serve wrong URLs.
try:
    _settings = settings.load()
except settings.SettingsError as exc:
    sys.exit(f"gunicorn: {exc}")

# --- Where to listen -------------------------------------------------------------------------
# Natively nginx reaches gunicorn on loopback; in Docker on the compose network (0.0.0.0:8000,
# never published). GUNICORN_BIND may also be unix:/path/to.sock.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")]
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
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Above nginx's proxy_read_timeout (API_TIMEOUT), so nginx answers a slow request with a JSON
# 504 before gunicorn kills the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Longer than nginx keeps an idle upstream connection, so gunicorn never closes one that nginx
# is about to reuse (a closed-while-reused connection shows up as a sporadic 502).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
reload = os.environ.get("GUNICORN_RELOAD", "") == "1"

# --- Logging ---------------------------------------------------------------------------------
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's %(h)s is its own peer (nginx); the client is the X-Forwarded-For that nginx set.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(D)sus'
