"""Settings of the API, read once from the environment and checked.

Every setting is an environment variable with a default, written once in ``DEFAULTS`` (the
runner's table, stack/settings.py, takes these too; docs/settings.md describes each). A bad
value raises ``SettingsError`` with a message that names the variable, so that gunicorn stops
at start-up instead of serving wrong URLs. Empty means the default everywhere: compose passes
``${NAME:-}``.
"""

import os
import re
from dataclasses import dataclass

# gunicorn's settings: the worker classes that run without extra packages, and its log levels.
WORKER_CLASSES = ("gthread", "sync")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# How every log line is written (app/logs.py): JSON objects for machines, or text for a terminal.
LOG_FORMATS = ("json", "text")

_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
_SIZE_RE = re.compile(r"^(\d+)([kKmMgG]?)$")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


# What the API and gunicorn read, with the value that an unset or empty variable means.
DEFAULTS = {
    "API_PREFIX": "/api",
    "ALLOWED_HOSTS": "",
    "CORS_ORIGINS": "",
    "MAX_BODY_SIZE": "1m",
    "API_TIMEOUT": "30",
    # Where gunicorn listens (host:port or unix:/path); empty: gunicorn's own 127.0.0.1:8000.
    "API_BIND": "",
    "FORWARDED_HOPS": "1",
    # Empty: the machine's cores + 1 (nginx shares the cores).
    "WEB_CONCURRENCY": "",
    "GUNICORN_WORKER_CLASS": "gthread",
    "GUNICORN_THREADS": "16",
    "GUNICORN_TIMEOUT": "60",
    "GUNICORN_KEEPALIVE": "75",
    "GUNICORN_LOG_LEVEL": "info",
    # json for containers and services, whose logs a collector reads; the native runner sets text.
    "LOG_FORMAT": "json",
    # gunicorn's access line (1) or none (0, make bench: ~18% of the API's CPU per request for a
    # line that repeats nginx's: the same request id, client, status and upstream time).
    "GUNICORN_ACCESS_LOG": "0",
    # Where gunicorn's master serves the API's Prometheus metrics (host:port), a listener nginx
    # never proxies; empty: no metrics at all (docs/monitoring.md).
    "METRICS_BIND": "",
}


class SettingsError(ValueError):
    """A setting has a value the stack cannot run with."""


def read(name, environ=None):
    """The setting `name` from ``environ`` (default: the process environment), empty = default."""
    env = os.environ if environ is None else environ
    return env.get(name) or DEFAULTS[name]


@dataclass(frozen=True)
class Settings:
    api_prefix: str
    forwarded_hops: int
    cors_origins: tuple
    allowed_hosts: tuple
    max_body_bytes: int


def split_list(value):
    """Split a comma- or space-separated setting into its non-empty items."""
    return tuple(item for item in re.split(r"[\s,]+", value or "") if item)


def parse_prefix(value, name="API_PREFIX"):
    if not _PREFIX_RE.match(value):
        raise SettingsError(
            f"{name}={value!r} is not a path prefix: it must start with '/', must not end "
            f"with '/', and may hold only letters, digits and . _ ~ - (e.g. {name}=/api)."
        )
    return value


def parse_size(value, name="MAX_BODY_SIZE"):
    """Parse an nginx-style size (``1m``, ``512k``, ``1048576``) into bytes."""
    match = _SIZE_RE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise SettingsError(
            f"{name}={value!r} is not a size: use a positive number of bytes, optionally "
            f"with k, m or g (e.g. {name}=1m)."
        )
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def parse_hops(value, name="FORWARDED_HOPS"):
    if not value.isdigit() or int(value) > 5:
        raise SettingsError(
            f"{name}={value!r} must be a whole number from 0 to 5: the number of proxies in "
            f"front of gunicorn whose X-Forwarded-* values Flask believes (1 = nginx)."
        )
    return int(value)


# One DNS label (RFC 1123); an origin's host is labels, an IPv4 address or a bracketed IPv6 one.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORIGIN_RE = re.compile(
    rf"^(?P<scheme>https?)://(?P<wild>\*\.)?(?P<host>\[[0-9A-Fa-f:.]+\]|{_LABEL}(?:\.{_LABEL})*)(?P<port>:[0-9]{{1,5}})?\Z"
)


def parse_origins(value, name="CORS_ORIGINS"):
    """Exact origins (scheme://host[:port]), or https://*.example.com for one or more labels in
    front of example.com; nothing else, since flask-cors reads any string with * ? [ ( $ as a regex."""
    origins = split_list(value)
    for origin in origins:
        match = _ORIGIN_RE.match(origin)
        bad = not match or (match["port"] and not 1 <= int(match["port"][1:]) <= 65535)
        # A wildcard stands for labels in front of a name of two labels or more (*.com would be
        # every .com site), never in front of an address (no top-level domain is all digits).
        host = match["host"] if match else ""
        if match and match["wild"] and ("." not in host or host.rsplit(".", 1)[1].isdigit() or host[0] == "["):
            bad = True
        if bad:
            raise SettingsError(
                f"{name} holds {origin!r}: list full origins such as http://localhost:5173 (scheme, "
                f"host and optional port; no path), or https://*.example.com for its subdomains; a "
                f"'*' anywhere else is not allowed."
            )
    return origins


def origin_pattern(origin):
    """The anchored, case-insensitive regex an origin of parse_origins matches, for flask-cors:
    exact text, or one or more DNS labels where the leading '*.' stands, the same scheme and port."""
    match = _ORIGIN_RE.match(origin)
    labels = rf"(?:{_LABEL}\.)+" if match["wild"] else ""
    return re.compile(
        rf"^{re.escape(match['scheme'])}://{labels}{re.escape(match['host'])}{re.escape(match['port'] or '')}\Z",
        re.IGNORECASE,
    )


def parse_hosts(value, name="ALLOWED_HOSTS"):
    hosts = split_list(value)
    for host in hosts:
        # Werkzeug's trusted-host check cannot match IPv6 literals, so they are refused here
        # (and in nginx's derivation) rather than silently never matching.
        if not re.match(r"^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$", host):
            raise SettingsError(
                f"{name} holds {host!r}: list host names or IPv4 addresses without scheme, "
                f"port or brackets (e.g. example.com or .example.com for every subdomain)."
            )
    return tuple(host.lower() for host in hosts)


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn's settings (backend/gunicorn.conf.py), checked together."""

    bind: str
    workers: int
    threads: int
    timeout: int
    keepalive: int
    api_timeout: int
    worker_class: str
    log_level: str
    log_format: str
    access_log: bool
    metrics_bind: str


_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$")


def parse_bind(value, name="API_BIND"):
    """Where gunicorn listens: host:port, [v6]:port or unix:/absolute/path; empty: gunicorn's default."""
    if not value:
        return value
    if value.startswith("unix:"):
        if not value[5:].startswith("/"):
            raise SettingsError(
                f"{name}={value!r}: a unix socket needs an absolute path (e.g. unix:/run/app/api.sock)."
            )
        return value
    match = _HOST_PORT.match(value)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise SettingsError(f"{name}={value!r} is not host:port or unix:/path (e.g. 127.0.0.1:8001).")
    return value


def parse_metrics_bind(value, name="METRICS_BIND"):
    """Where the master serves /metrics: host:port (a TCP listener of its own); empty: off."""
    if value and (value.startswith("unix:") or not _HOST_PORT.match(value)):
        raise SettingsError(
            f"{name}={value!r} is not host:port (e.g. 127.0.0.1:9180 natively, 0.0.0.0:9180 in a "
            "container), or leave it empty to turn it off."
        )
    return parse_bind(value, name)


def parse_whole(value, name, low, high, unit=""):
    """A whole number from low to high (``unit`` names what it counts, e.g. " seconds")."""
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingsError(f"{name}={value!r} must be a whole number{unit} from {low} to {high}.")
    return int(value)


def parse_choice(value, name, choices, what):
    if value not in choices:
        raise SettingsError(f"{name}={value!r} is not a {what}: use one of {', '.join(choices)}.")
    return value


def load_server(environ=None, cpu_count=None):
    """gunicorn's settings from ``environ``. Raises one SettingsError with a line for each bad
    value (empty means the default)."""
    problems = []

    def get(parse, name, *args):
        try:
            return parse(read(name, environ), name, *args)
        except SettingsError as exc:
            problems.append(str(exc))

    cores_plus_one = (cpu_count or os.cpu_count() or 1) + 1
    values = dict(
        bind=get(parse_bind, "API_BIND"),
        workers=get(parse_whole, "WEB_CONCURRENCY", 1, 256) if read("WEB_CONCURRENCY", environ) else cores_plus_one,
        threads=get(parse_whole, "GUNICORN_THREADS", 1, 256),
        timeout=get(parse_whole, "GUNICORN_TIMEOUT", 2, 86400, " of seconds"),
        keepalive=get(parse_whole, "GUNICORN_KEEPALIVE", 1, 3600, " of seconds"),
        api_timeout=get(parse_whole, "API_TIMEOUT", 1, 86399, " of seconds"),
        worker_class=get(parse_choice, "GUNICORN_WORKER_CLASS", WORKER_CLASSES, "worker class"),
        log_level=get(parse_choice, "GUNICORN_LOG_LEVEL", LOG_LEVELS, "log level"),
        log_format=get(parse_choice, "LOG_FORMAT", LOG_FORMATS, "log format"),
        access_log=get(parse_choice, "GUNICORN_ACCESS_LOG", ("0", "1"), "switch") == "1",
        metrics_bind=get(parse_metrics_bind, "METRICS_BIND"),
    )
    if not problems and values["timeout"] <= values["api_timeout"]:
        problems.append(
            f"GUNICORN_TIMEOUT={values['timeout']} must be above API_TIMEOUT={values['api_timeout']}: nginx "
            "has to give up on a slow request (JSON 504) before gunicorn kills the worker."
        )
    if not problems and values["metrics_bind"] and values["metrics_bind"] == values["bind"]:
        problems.append(f"METRICS_BIND={values['metrics_bind']} must differ from API_BIND: nginx proxies API_BIND.")
    if problems:
        raise SettingsError("\n".join(problems))
    return ServerSettings(**values)


def load(environ=None):
    """Read the settings from ``environ`` (default: the process environment)."""
    return Settings(
        api_prefix=parse_prefix(read("API_PREFIX", environ)),
        forwarded_hops=parse_hops(read("FORWARDED_HOPS", environ)),
        cors_origins=parse_origins(read("CORS_ORIGINS", environ)),
        allowed_hosts=parse_hosts(read("ALLOWED_HOSTS", environ)),
        max_body_bytes=parse_size(read("MAX_BODY_SIZE", environ)),
    )
