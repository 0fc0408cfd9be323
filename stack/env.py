"""The stack's settings: the process environment over the `.env` file, as compose reads them."""

import os
import re
from pathlib import Path

from .errors import StackError

ROOT = Path(__file__).resolve().parent.parent
# Every setting the stack reads (documented in .env.example). A child process gets these from the
# settings given to the runner only, never by accident from the calling shell.
SETTING_NAMES = (
    "STACK", "HTTP_PORT", "API_PREFIX", "TRUSTED_PROXIES", "ALLOWED_HOSTS", "CORS_ORIGINS",
    "MAX_BODY_SIZE", "API_TIMEOUT", "API_BIND", "FORWARDED_HOPS", "WEB_CONCURRENCY",
    "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_KEEPALIVE",
    "GUNICORN_LOG_LEVEL", "VITE_PORT", "IMAGE_TAG",
)
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_dotenv(path):
    """Parse KEY=VALUE lines (comments, blank lines and optional quotes allowed)."""
    values = {}
    if not path.exists():
        return values
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise StackError(f"{path}:{number}: not a KEY=VALUE line: {line.strip()!r}")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def load(environ=None, dotenv=None):
    """The settings as a flat dict: `.env` first, the environment wins (compose's rule)."""
    merged = read_dotenv(Path(dotenv) if dotenv else ROOT / ".env")
    merged.update(os.environ if environ is None else environ)
    return merged


def http_port(settings):
    value = settings.get("HTTP_PORT") or "8000"
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise StackError(f"HTTP_PORT={value!r} is not a TCP port: use a number from 1 to 65535.")
    return int(value)
