"""Checks every setting of the stack before anything is built or started, native or Docker.

`validate(settings)` takes the merged settings (stack/env.py: the environment over `.env`) and
returns them with defaults filled in, or raises `BadSettings` with one line per bad value, each
naming the setting, the value and what is allowed. The API's own rules (backend/app/settings.py,
which gunicorn applies again at start-up in either mode) are reused, not repeated.
"""

import importlib.util
import ipaddress
import re
import sys

from .env import DEFAULT_HTTP_PORT, ROOT, SETTING_NAMES, parse_port
from .errors import StackError

DEFAULTS = {
    "STACK": "",
    "HTTP_PORT": DEFAULT_HTTP_PORT,
    "API_PREFIX": "/api",
    "TRUSTED_PROXIES": "",
    "ALLOWED_HOSTS": "",
    "CORS_ORIGINS": "",
    "MAX_BODY_SIZE": "1m",
    "API_TIMEOUT": "30",
    "API_BIND": "",
    "FORWARDED_HOPS": "1",
    "WEB_CONCURRENCY": "",
    "GUNICORN_WORKER_CLASS": "gthread",
    "GUNICORN_THREADS": "16",
    "GUNICORN_TIMEOUT": "60",
    "GUNICORN_KEEPALIVE": "75",
    "GUNICORN_LOG_LEVEL": "info",
    "VITE_PORT": "5173",
    "ACCESS_LOG": "",
    # Read by Docker Compose and stack/https.py, which check them and know their defaults.
    "IMAGE_TAG": "",
    "DOMAIN": "",
    "ACME_EMAIL": "",
    "ACME_CA": "",
    "HTTPS_PORT": "",
    "HTTP_REDIRECT_PORT": "",
}
assert set(DEFAULTS) == set(SETTING_NAMES)

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$")


class BadSettings(StackError):
    """One or more settings are invalid; `problems` holds one line for each."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _app_settings():
    """backend/app/settings.py on its own (without Flask), as gunicorn.conf.py loads it."""
    name = "_stack_app_settings"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "backend" / "app" / "settings.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def trusted_proxy(entry):
    """One TRUSTED_PROXIES entry as nginx's set_real_ip_from takes it: an IPv4 or IPv6 address,
    or one with /prefix-length; no zone id (fe80::1%eth0), netmask or host name. The shell
    derivation (nginx/docker-entrypoint.d/15-derive-settings.envsh) accepts exactly these: one
    table of cases tests both (tests/unit/test_trusted_proxies.py)."""
    address, slash, bits = entry.partition("/")
    if "%" in address:
        reason = "an address with a zone id, which nginx does not take"
    elif slash and not (bits.isascii() and bits.isdigit()):
        reason = "a range whose part after / is not a prefix length"
    elif address.endswith("::") and address.count(":") == 8:
        reason = "seven groups before '::', which nginx refuses (write the last group: ...:7:0)"
    else:
        try:
            ipaddress.ip_network(entry, strict=False)
            return entry
        except ValueError:
            reason = "not an IP address or CIDR range"
    raise StackError(
        f"TRUSTED_PROXIES holds {entry!r}, {'which is ' if reason.startswith('not') else ''}{reason}: list "
        "IPv4 or IPv6 addresses or CIDR ranges, comma or space separated (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)."
    )


def _api_bind(value):
    if value.startswith("unix:"):
        if not value[5:].startswith("/"):
            raise StackError(f"API_BIND={value!r}: a unix socket needs an absolute path (e.g. unix:/run/app/api.sock).")
        return value
    match = _HOST_PORT.match(value)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise StackError(f"API_BIND={value!r} is not host:port or unix:/path (e.g. 127.0.0.1:8001).")
    return value


def validate(settings):
    """The settings with every known one checked and its default filled in (empty = default).
    Raises BadSettings listing every bad value, so a user fixes them all in one go."""
    app = _app_settings()
    values = dict(settings)
    for name, default in DEFAULTS.items():
        values[name] = (values.get(name) or "").strip() or default
    problems = []

    def check(func, *args):
        try:
            func(*args)
        except (StackError, app.SettingsError) as exc:
            problems.extend(str(exc).splitlines())

    def stack_mode(value):
        if value.lower() not in ("", "docker", "native"):
            raise StackError(f"STACK={value!r} is not a mode: use docker or native, or leave it empty to choose.")

    def access_log(value):
        if value not in ("", "0", "1"):
            raise StackError(f"ACCESS_LOG={value!r}: use 1 to show every request, or 0 (or empty) not to.")

    check(stack_mode, values["STACK"])
    check(parse_port, values["HTTP_PORT"], "HTTP_PORT")
    check(parse_port, values["VITE_PORT"], "VITE_PORT")
    check(app.parse_prefix, values["API_PREFIX"])
    for entry in app.split_list(values["TRUSTED_PROXIES"]):
        check(trusted_proxy, entry)
    check(app.parse_hosts, values["ALLOWED_HOSTS"])
    check(app.parse_origins, values["CORS_ORIGINS"])
    check(app.parse_size, values["MAX_BODY_SIZE"])
    check(app.parse_hops, values["FORWARDED_HOPS"])
    if values["API_BIND"]:
        check(_api_bind, values["API_BIND"])
    check(access_log, values["ACCESS_LOG"])
    # gunicorn's settings, API_TIMEOUT with them (it must stay below GUNICORN_TIMEOUT).
    check(app.load_server, values)
    if problems:
        raise BadSettings(problems)
    return values


def non_defaults(values, names=None):
    """`NAME=value` for each setting that differs from its default (for the ready lines)."""
    names = names or DEFAULTS
    return [
        f"{name}={values[name]}"
        for name in names
        if name in DEFAULTS and (values.get(name) or "") != DEFAULTS[name] and values.get(name)
    ]
