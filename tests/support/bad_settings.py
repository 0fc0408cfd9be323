"""A bad value for every setting and the start of the one line the runner answers it with;
tests/unit checks stack/settings.py with it, tests/integration the real `python -m stack up`."""

BAD_VALUES = [
    ("STACK", "podman", "STACK='podman' is not a mode: use docker or native, or leave it empty to choose."),
    ("HTTP_PORT", "http", "HTTP_PORT='http' is not a TCP port: use a number from 1 to 65535."),
    ("HTTP_PORT", "70000", "HTTP_PORT='70000' is not a TCP port: use a number from 1 to 65535."),
    ("HTTP_BIND", "localhost", "HTTP_BIND='localhost' is not an IP address: use one such as 127.0.0.1 or ::1"),
    ("VITE_PORT", "0", "VITE_PORT='0' is not a TCP port: use a number from 1 to 65535."),
    ("API_PREFIX", "api/", "API_PREFIX='api/' is not a path prefix"),
    ("TRUSTED_PROXIES", "10.0.0.0/8 not-an-ip", "TRUSTED_PROXIES holds 'not-an-ip', which is not an IP address"),
    ("TRUSTED_PROXIES", "fe80::1%eth0", "TRUSTED_PROXIES holds 'fe80::1%eth0', an address with a zone id"),
    ("ALLOWED_HOSTS", "http://example.com", "ALLOWED_HOSTS holds 'http://example.com'"),
    ("CORS_ORIGINS", "*", "CORS_ORIGINS holds '*'"),
    ("MAX_BODY_SIZE", "1 MB", "MAX_BODY_SIZE='1 MB' is not a size"),
    ("API_TIMEOUT", "30s", "API_TIMEOUT='30s' must be a whole number of seconds from 1 to 86399."),
    ("API_TIMEOUT", "99999999999999999999", "API_TIMEOUT='99999999999999999999' must be a whole number"),
    ("API_TIMEOUT", "90", "GUNICORN_TIMEOUT=60 must be above API_TIMEOUT=90"),
    ("API_BIND", "localhost", "API_BIND='localhost' is not host:port or unix:/path"),
    ("API_BIND", "unix:api.sock", "API_BIND='unix:api.sock': a unix socket needs an absolute path"),
    ("FORWARDED_HOPS", "many", "FORWARDED_HOPS='many' must be a whole number from 0 to 5"),
    ("WEB_CONCURRENCY", "zero", "WEB_CONCURRENCY='zero' must be a whole number from 1 to 256."),
    ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY='0' must be a whole number from 1 to 256."),
    ("GUNICORN_WORKER_CLASS", "nope", "GUNICORN_WORKER_CLASS='nope' is not a worker class: use one of gthread, sync."),
    ("GUNICORN_THREADS", "-2", "GUNICORN_THREADS='-2' must be a whole number from 1 to 256."),
    ("GUNICORN_TIMEOUT", "1.5", "GUNICORN_TIMEOUT='1.5' must be a whole number of seconds from 2 to 86400."),
    ("GUNICORN_KEEPALIVE", "forever", "GUNICORN_KEEPALIVE='forever' must be a whole number of seconds from 1 to 3600."),
    (
        "GUNICORN_LOG_LEVEL",
        "loud",
        "GUNICORN_LOG_LEVEL='loud' is not a log level: use one of debug, info, warning, error, critical.",
    ),
    ("ACCESS_LOG", "yes", "ACCESS_LOG='yes': use 1 to show every request, or 0 (or empty) not to."),
]
