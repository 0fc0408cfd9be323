"""The stack's settings: the process environment over the `.env` file, as compose reads them."""

import difflib
import io
import ipaddress
import os
import sys
from pathlib import Path

import dotenv
from dotenv import parser as dotenv_parser

from .errors import StackError

ROOT = Path(__file__).resolve().parent.parent


def read_dotenv(path, warn=None):
    """The KEY=VALUE pairs of a `.env` file, read by python-dotenv with Docker Compose's rules
    (comments, inline `# ...` after an unquoted value, quotes, `export`, ${VAR}); a key without a
    value is empty. A line it cannot parse is an error naming the line; a key that is not a
    setting is reported to `warn` with the nearest setting's name."""
    from .settings import OWN_PREFIX, SETTING_NAMES

    if not path.exists():
        return {}
    text = path.read_text()
    for binding in dotenv_parser.parse_stream(io.StringIO(text)):
        if binding.error:
            line = binding.original.string.strip()
            raise StackError(f"{path}:{binding.original.line}: not a KEY=VALUE line: {line!r}")
        if binding.key and binding.key not in SETTING_NAMES and not binding.key.startswith(OWN_PREFIX) and warn:
            close = difflib.get_close_matches(binding.key.upper(), SETTING_NAMES, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else "; the settings are listed in .env.example"
            warn(f"{path.name}:{binding.original.line}: {binding.key} is not a setting of the stack{hint}")
    values = dotenv.dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {key: value or "" for key, value in values.items()}


def _warn(message):
    print(f"stack: warning: {message}", file=sys.stderr, flush=True)


def load(environ=None, dotenv=None, warn=_warn):
    """The settings as a flat dict: `.env` first, the environment wins (compose's rule)."""
    merged = read_dotenv(Path(dotenv) if dotenv else ROOT / ".env", warn=warn)
    merged.update(os.environ if environ is None else environ)
    return merged


# The public port when HTTP_PORT is unset or empty (make rename changes it).
DEFAULT_HTTP_PORT = "8000"


def parse_port(value, name):
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise StackError(f"{name}={value!r} is not a TCP port: use a number from 1 to 65535.")
    return int(value)


def http_port(settings):
    return parse_port(settings.get("HTTP_PORT") or DEFAULT_HTTP_PORT, "HTTP_PORT")


def parse_bind(value):
    """HTTP_BIND: the one address the public port is bound to, as an IPv4 or IPv6 address (IPv6
    with or without brackets); None when empty: every interface."""
    if not value:
        return None
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    # No zone id (fe80::1%eth0: nginx's listen does not take one); brackets only around IPv6.
    if address is None or "%" in bare or (bare != value and address.version != 6):
        raise StackError(
            f"HTTP_BIND={value!r} is not an IP address: use one such as 127.0.0.1 or ::1 (or [::1]), "
            "or leave it empty for every interface."
        )
    return address


def http_bind(settings):
    return parse_bind((settings.get("HTTP_BIND") or "").strip())
