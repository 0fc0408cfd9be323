"""Settings of `make https`: nginx terminating TLS itself, with a certificate by ACME (lego,
acme/lego.sh) or, for `make https-local`, from a local CA (stack/local_ca.py); checked before
anything starts, natively and for docker-compose.https.yml.

`check(settings, local=False)` returns the settings nginx and the ACME client run with, or
raises StackError with one line that names the setting and what is allowed.
"""

import ipaddress
import re

from .env import parse_port
from .errors import StackError

LOCAL_DOMAIN = "localhost"
LOCAL_PORTS = {"HTTPS_PORT": "8443", "HTTP_REDIRECT_PORT": "8080"}
DEFAULT_PORTS = {"HTTPS_PORT": "443", "HTTP_REDIRECT_PORT": "80"}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# An address as ACME CAs accept it: one @, no spaces or list separators, a domain with a dot.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}$")


def check_domain(value):
    """DOMAIN: a DNS name with at least two labels, as a certificate can name it."""
    example = "e.g. DOMAIN=app.example.com"
    if not value:
        raise StackError(f"DOMAIN is not set: set it to the public name the certificate is for ({example}).")
    if value != value.lower() or "://" in value or "/" in value or ":" in value:
        raise StackError(f"DOMAIN={value!r} is not a host name: lower case, without scheme, port or path ({example}).")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        raise StackError(f"DOMAIN={value!r} is an IP address: ACME certificates need a DNS name ({example}).")
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise StackError(
            f"DOMAIN={value!r} is not a DNS name: dot-separated labels of letters, digits and '-' "
            f"({example}; for localhost use make https-local)."
        )


def check_email(value):
    """ACME_EMAIL: the ACME account's contact address."""
    if not value:
        raise StackError(
            "ACME_EMAIL is not set: the CA needs a contact address for the account (e.g. ACME_EMAIL=ops@example.com)."
        )
    if not _EMAIL.match(value):
        raise StackError(f"ACME_EMAIL={value!r} is not an email address (e.g. ACME_EMAIL=ops@example.com).")


def check_acme_ca(value):
    """ACME_CA: an ACME directory URL, https only (empty: Let's Encrypt)."""
    if value and not re.match(r"^https://[^\s/]+(/\S*)?$", value):
        raise StackError(
            f"ACME_CA={value!r} is not an https URL of an ACME directory "
            "(e.g. https://acme-staging-v02.api.letsencrypt.org/directory), or leave it empty for Let's Encrypt."
        )


def check_no_front(value):
    """TRUSTED_PROXIES must be empty: nginx terminates TLS itself, so no proxy stands in front of
    it, and a trusted one would let whoever it lets through set the scheme, host and client."""
    if value.strip():
        raise StackError(
            f"TRUSTED_PROXIES={value!r}: with make https nginx terminates TLS itself and is the edge, "
            "so nothing in front of it is trusted: leave TRUSTED_PROXIES empty (a proxy that terminates "
            "TLS in front of nginx is make up's case: docs/headers.md)."
        )


def check(settings, local=False):
    """The settings nginx and the ACME client run with, as a dict of the ones that change.

    local: development mode, a certificate for localhost from a local CA of the runner's
    (stack/local_ca.py): no ACME, no DOMAIN or ACME_EMAIL needed.
    """
    updates = {}
    if local:
        updates["DOMAIN"] = LOCAL_DOMAIN
        updates["ACME_EMAIL"] = ""  # no ACME account: the local CA signs
        defaults = LOCAL_PORTS
    else:
        check_domain(settings.get("DOMAIN", ""))
        check_email(settings.get("ACME_EMAIL", ""))
        check_acme_ca(settings.get("ACME_CA", ""))
        defaults = DEFAULT_PORTS
    for name, default in defaults.items():
        value = settings.get(name) or default
        parse_port(value, name)
        updates[name] = value
    if updates["HTTPS_PORT"] == updates["HTTP_REDIRECT_PORT"]:
        raise StackError(
            f"HTTPS_PORT and HTTP_REDIRECT_PORT are both {updates['HTTPS_PORT']}: nginx needs a port "
            "for https and one for the redirect from http."
        )
    check_no_front(settings.get("TRUSTED_PROXIES", ""))
    return updates
