"""Settings of the API, read once from the environment and checked.

Every setting is an environment variable with a default (see .env.example). A bad value
raises ``SettingsError`` with a message that names the variable, so that gunicorn stops at
start-up instead of serving wrong URLs.
"""

import os
import re
from dataclasses import dataclass

# gunicorn's settings: the worker classes that run without extra packages, and its log levels.
WORKER_CLASSES = ("gthread", "sync")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
_SIZE_RE = re.compile(r"^(\d+)([kKmMgG]?)$")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class SettingsError(ValueError):
    """A setting has a value the stack cannot run with."""


@dataclass(frozen=True)
class Settings:
    api_prefix: str = "/api"
    forwarded_hops: int = 1
    cors_origins: tuple = ()
    allowed_hosts: tuple = ()
    max_body_bytes: int = 1024**2


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


def parse_origins(value, name="CORS_ORIGINS"):
    origins = split_list(value)
    for origin in origins:
        if origin == "*" or not re.match(r"^https?://[^/\s]+$", origin):
            raise SettingsError(
                f"{name} holds {origin!r}: list full origins such as "
                f"http://localhost:5173 (scheme and host, no path); '*' is not allowed."
            )
    return origins


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

    workers: int
    threads: int = 16
    timeout: int = 60
    keepalive: int = 75
    api_timeout: int = 30
    worker_class: str = "gthread"
    log_level: str = "info"


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
    env = os.environ if environ is None else environ
    problems = []

    def get(parse, name, default, *args):
        try:
            return parse(env.get(name) or str(default), name, *args)
        except SettingsError as exc:
            problems.append(str(exc))

    values = dict(
        workers=get(parse_whole, "WEB_CONCURRENCY", (cpu_count or os.cpu_count() or 1) + 1, 1, 256),
        threads=get(parse_whole, "GUNICORN_THREADS", 16, 1, 256),
        timeout=get(parse_whole, "GUNICORN_TIMEOUT", 60, 2, 86400, " of seconds"),
        keepalive=get(parse_whole, "GUNICORN_KEEPALIVE", 75, 1, 3600, " of seconds"),
        api_timeout=get(parse_whole, "API_TIMEOUT", 30, 1, 86399, " of seconds"),
        worker_class=get(parse_choice, "GUNICORN_WORKER_CLASS", "gthread", WORKER_CLASSES, "worker class"),
        log_level=get(parse_choice, "GUNICORN_LOG_LEVEL", "info", LOG_LEVELS, "log level"),
    )
    if not problems and values["timeout"] <= values["api_timeout"]:
        problems.append(
            f"GUNICORN_TIMEOUT={values['timeout']} must be above API_TIMEOUT={values['api_timeout']}: nginx "
            "has to give up on a slow request (JSON 504) before gunicorn kills the worker."
        )
    if problems:
        raise SettingsError("\n".join(problems))
    return ServerSettings(**values)


def load(environ=None):
    """Read the settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ

    def get(name, default):
        # Empty means unset: compose passes ${NAME:-} so that defaults live here only.
        return env.get(name) or default

    return Settings(
        api_prefix=parse_prefix(get("API_PREFIX", "/api")),
        forwarded_hops=parse_hops(get("FORWARDED_HOPS", "1")),
        cors_origins=parse_origins(get("CORS_ORIGINS", "")),
        allowed_hosts=parse_hosts(get("ALLOWED_HOSTS", "")),
        max_body_bytes=parse_size(get("MAX_BODY_SIZE", "1m")),
    )
