"""Checks every setting of the stack before anything is built or started, native or Docker.

`validate(settings)` takes the merged settings (stack/env.py: the environment over `.env`) and
returns them with defaults filled in, or raises `BadSettings` with one line per bad value, each
naming the setting, the value and what is allowed. The API's own rules (backend/app/settings.py,
which gunicorn applies again at start-up in either mode) are reused, not repeated.
"""

import ipaddress
from dataclasses import dataclass

from . import app_settings
from .env import DEFAULT_HTTP_PORT, parse_bind, parse_port
from .errors import StackError

_APP = app_settings.load()
_API_DEFAULTS = _APP.DEFAULTS
# Checked together by the backend (backend/app/settings.py load_server), as gunicorn does.
_SERVER = "gunicorn's settings"


def _stack_mode(value):
    if value.lower() not in ("", "docker", "native"):
        raise StackError(f"STACK={value!r} is not a mode: use docker or native, or leave it empty to choose.")


def _access_log(value):
    if value not in ("", "0", "1"):
        raise StackError(f"ACCESS_LOG={value!r}: use 1 to show every request, or 0 (or empty) not to.")


def trusted_proxy(entry):
    """One TRUSTED_PROXIES entry as nginx's set_real_ip_from and geo take it: an IPv4 or IPv6
    address, or one with /prefix-length; no zone id (fe80::1%eth0), netmask or host name. The
    nginx image asks nginx itself (nginx/docker-entrypoint.d/15-derive-settings.envsh); one table
    of cases holds the two verdicts together (tests/unit/stack/test_trusted_proxies.py)."""
    address, slash, bits = entry.partition("/")
    if "%" in address:
        reason = "an address with a zone id, which nginx does not take"
    elif slash and not (bits.isascii() and bits.isdigit()):
        reason = "a range whose part after / is not a prefix length"
    elif address.endswith("::") and address.count(":") == 8:
        reason = "seven groups before '::', which nginx refuses (write the last group: ...:7:0)"
    else:
        try:
            return ipaddress.ip_network(entry, strict=False)
        except ValueError:
            reason = "not an IP address or CIDR range"
    raise StackError(
        f"TRUSTED_PROXIES holds {entry!r}, {'which is ' if reason.startswith('not') else ''}{reason}: list "
        "IPv4 or IPv6 addresses or CIDR ranges, comma or space separated (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)."
    )


def trusted_proxies(value):
    """TRUSTED_PROXIES as a list of networks; raises on the first bad entry."""
    return [trusted_proxy(entry) for entry in _APP.split_list(value)]


@dataclass(frozen=True)
class Setting:
    """One setting of the stack: its name, its default (empty: the setting is unset), how it is
    checked, and which services read it.

    check: a function of the value that raises StackError or the backend's SettingsError; None
    where the command that uses it checks it (stack/https.py) or Docker Compose does (IMAGE_TAG).
    to: the services that read it, first the one whose ready line shows it: "api" (gunicorn and
    Flask: the systemd API unit's environment, compose's api service), "nginx" (rendered into
    its config), "vite" (make dev), "acme" (make https's ACME client); () for the runner or compose alone.
    The API's defaults are the backend's own (backend/app/settings.py DEFAULTS).
    """

    name: str
    default: str
    check: object = None
    to: tuple = ()


def _seconds(name, high):
    return lambda value: _APP.parse_whole(value, name, 1, high, " of seconds")


def _count(name, high):
    return lambda value: _APP.parse_whole(value, name, 0, high)


def _port(name):
    return lambda value: parse_port(value, name)


def _monitoring(value):
    if value not in ("", "0", "1"):
        raise StackError(
            f"MONITORING={value!r}: use 1 to run Prometheus and the nginx exporter beside the stack, "
            "or 0 (or empty) not to."
        )


def _internal_bind(name):
    return lambda value: _APP.parse_metrics_bind(value, name)


def _api(name, to):
    return Setting(name, _API_DEFAULTS[name], _SERVER, to)


SETTINGS = (
    Setting("STACK", "", _stack_mode),
    Setting("HTTP_PORT", DEFAULT_HTTP_PORT, _port("HTTP_PORT"), ("nginx",)),
    # The address the public port is bound to: nginx's listen natively, compose's published port.
    Setting("HTTP_BIND", "", parse_bind, ("nginx",)),
    Setting("API_PREFIX", _API_DEFAULTS["API_PREFIX"], _APP.parse_prefix, ("nginx", "api", "vite")),
    Setting("TRUSTED_PROXIES", "", trusted_proxies, ("nginx",)),
    Setting("ALLOWED_HOSTS", _API_DEFAULTS["ALLOWED_HOSTS"], _APP.parse_hosts, ("nginx", "api")),
    Setting("CORS_ORIGINS", _API_DEFAULTS["CORS_ORIGINS"], _APP.parse_origins, ("api",)),
    Setting("MAX_BODY_SIZE", _API_DEFAULTS["MAX_BODY_SIZE"], _APP.parse_size, ("nginx", "api")),
    _api("API_TIMEOUT", ("nginx", "api")),
    # Slow clients: nginx's header, body and send timeouts (nginx/templates, 15-derive-settings.envsh).
    Setting("CLIENT_TIMEOUT", "10", _seconds("CLIENT_TIMEOUT", 3600), ("nginx",)),
    # Per client address, on the API prefix only (0: off): nginx's limit_req and limit_conn.
    Setting("API_RATE_LIMIT", "0", _count("API_RATE_LIMIT", 100000), ("nginx",)),
    Setting("API_RATE_BURST", "50", _count("API_RATE_BURST", 100000), ("nginx",)),
    Setting("API_CONN_LIMIT", "0", _count("API_CONN_LIMIT", 100000), ("nginx",)),
    # Natively where gunicorn listens and nginx connects; empty there: a unix socket in .run/<name>/.
    _api("API_BIND", ("api", "nginx")),
    Setting("FORWARDED_HOPS", _API_DEFAULTS["FORWARDED_HOPS"], _APP.parse_hops, ("api",)),
    _api("WEB_CONCURRENCY", ("api",)),
    _api("GUNICORN_WORKER_CLASS", ("api",)),
    _api("GUNICORN_THREADS", ("api",)),
    _api("GUNICORN_TIMEOUT", ("api",)),
    _api("GUNICORN_KEEPALIVE", ("api",)),
    _api("GUNICORN_LOG_LEVEL", ("api",)),
    _api("GUNICORN_ACCESS_LOG", ("api",)),
    # Empty: json (the API's default, and nginx's); the native runner makes it text (stack/native.py).
    Setting("LOG_FORMAT", "", _SERVER, ("api", "nginx")),
    Setting("VITE_PORT", "5173", _port("VITE_PORT"), ("vite",)),
    Setting("IMAGE_TAG", ""),
    # make https (stack/https.py checks them): the ACME client's, and nginx's public ports.
    Setting("DOMAIN", "", None, ("acme",)),
    Setting("ACME_EMAIL", "", None, ("acme",)),
    Setting("ACME_CA", "", None, ("acme",)),
    Setting("HTTPS_PORT", "", None, ("nginx",)),
    Setting("HTTP_REDIRECT_PORT", "", None, ("nginx",)),
    # nginx terminating TLS: set by make https (lego's files, or the local CA's), checked by
    # nginx's derivation (17-derive-tls.envsh); make up and make dev serve plain http.
    Setting("TLS_CERT", "", None, ("nginx",)),
    Setting("TLS_KEY", "", None, ("nginx",)),
    Setting("ACME_WEBROOT", "", None, ("nginx", "acme")),
    # The runner's: whether nginx's access log reaches the terminal.
    Setting("ACCESS_LOG", "", _access_log, ("nginx",)),
    # ---- Monitoring (docs/monitoring.md): internal listeners, never the public port --------------
    _api("METRICS_BIND", ("api",)),
    # nginx's stub_status on a server of its own (read by the nginx exporter); empty: none.
    Setting("STUB_STATUS_BIND", "", _internal_bind("STUB_STATUS_BIND"), ("nginx",)),
    # The runner's: Prometheus and the nginx exporter beside the stack (compose's monitoring profile).
    Setting("MONITORING", "", _monitoring),
    Setting("PROMETHEUS_PORT", "9090", _port("PROMETHEUS_PORT")),
    Setting("NGINX_EXPORTER_PORT", "9113", _port("NGINX_EXPORTER_PORT")),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)
DEFAULTS = {s.name: s.default for s in SETTINGS}
# A team's own settings: any name that starts with this reaches the API in every mode (.env
# natively and in Docker, the settings ConfigMap in Kubernetes), with no list to edit; the API
# reads it with os.environ (docs/settings.md, "Your own settings").
OWN_PREFIX = "APP_"


def own(values):
    """The team's own settings among `values` (names with OWN_PREFIX), in their order."""
    return {name: value for name, value in values.items() if name.startswith(OWN_PREFIX)}


if not set(_API_DEFAULTS) <= set(SETTING_NAMES):
    raise ImportError("every setting the API reads must be a setting of the stack (stack/settings.py SETTINGS)")


def read_by(service):
    """The settings `service` reads, in the table's order."""
    return tuple(s.name for s in SETTINGS if service in s.to)


def shown_by(service):
    """The settings whose value `service`'s ready line shows when it is not the default."""
    return tuple(s.name for s in SETTINGS if s.to[:1] == (service,))


class BadSettings(StackError):
    """One or more settings are invalid; `problems` holds one line for each."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def validate(settings):
    """The settings with every known one checked and its default filled in (empty = default).
    Raises BadSettings listing every bad value, so a user fixes them all in one go."""
    values = dict(settings)
    for name, default in DEFAULTS.items():
        values[name] = (values.get(name) or "").strip() or default
    problems = []

    def check(func, *args):
        try:
            func(*args)
        except (StackError, _APP.SettingsError) as exc:
            problems.extend(str(exc).splitlines())

    for setting in SETTINGS:
        if callable(setting.check):
            check(setting.check, values[setting.name])
    # gunicorn's settings, API_TIMEOUT with them (it must stay below GUNICORN_TIMEOUT).
    check(_APP.load_server, values)
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
