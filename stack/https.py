"""Settings of the TLS front (caddy/Caddyfile, docker-compose.https.yml), checked before start.

`check(settings, local=False)` returns the settings the front runs with, or raises StackError
with one line that names the setting and what is allowed. `make https` (certificates by ACME
for DOMAIN) and `make https-local` (Caddy's own CA at https://localhost:8443) call it before
anything starts.
"""

import ipaddress
import re

from .env import parse_port
from .errors import StackError
from .settings import trusted_proxies

# The address nginx sees the TLS proxy (Caddy) connect from, by mode: in Docker, Caddy's
# address on the compose network it shares with nginx (pinned in docker-compose.https.yml);
# natively, loopback. TRUSTED_PROXIES can then name exactly this one peer.
PROXY_ADDRESS = {"docker": "10.77.77.2", "native": "127.0.0.1"}
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


def trusted_proxies_with(value, front):
    """TRUSTED_PROXIES for a stack behind the front at address `front`: empty becomes exactly
    the front's address; a list must hold it, or nginx would not believe the front's
    X-Forwarded-Proto and every URL the API builds would say http."""
    if not value.strip():
        return front
    address = ipaddress.ip_address(front)
    networks = trusted_proxies(value)
    if any(address.version == network.version and address in network for network in networks):
        return value
    raise StackError(
        f"TRUSTED_PROXIES={value!r} does not include the TLS front's address {front}: nginx would "
        f"not believe its X-Forwarded-Proto and the API would build http URLs. Add {front}, or leave "
        "TRUSTED_PROXIES empty to trust exactly the front."
    )


def check(settings, local=False, front=PROXY_ADDRESS["docker"]):
    """The settings the TLS front and nginx run with, as a dict of the ones that change.

    local: development mode, Caddy's own CA for localhost (no ACME, no DOMAIN or ACME_EMAIL
    needed). front: the address the front connects to nginx from.
    """
    updates = {}
    if local:
        updates["DOMAIN"] = LOCAL_DOMAIN
        updates["ACME_EMAIL"] = ""  # no contact: the Caddyfile's tls falls back to Caddy's CA
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
            f"HTTPS_PORT and HTTP_REDIRECT_PORT are both {updates['HTTPS_PORT']}: the front needs a port "
            "for https and one for the redirect from http."
        )
    updates["TRUSTED_PROXIES"] = trusted_proxies_with(settings.get("TRUSTED_PROXIES", ""), front)
    return updates
