"""`make https` without Docker: the native stack with Caddy (caddy/run.sh, the same Caddyfile as
in Docker) in front of nginx, from the same machine (127.0.0.1, which TRUSTED_PROXIES names).

Caddy listens on HTTPS_PORT and HTTP_REDIRECT_PORT; nginx stays on HTTP_PORT. It starts after
nginx and stops before it, and stopping ends it with the rest.
"""

import socket

from . import logs, tools
from .env import ROOT
from .errors import StackError
from .https import PROXY_ADDRESS
from .native import NativeStack, check_port_free
from .supervision import Program

ADDRESS = PROXY_ADDRESS["native"]


class HttpsStack(NativeStack):
    """gunicorn + nginx + Caddy. settings: already checked by stack.https.check()."""

    def __init__(self, settings, name="https", quiet=False, build=True):
        super().__init__(settings, name=name, quiet=quiet, build=build)
        self.https_port = int(self.settings["HTTPS_PORT"])
        self.redirect_port = int(self.settings["HTTP_REDIRECT_PORT"])
        if self.connect_host != ADDRESS:
            raise StackError(
                f"HTTP_BIND={self.bind}: natively Caddy reaches nginx at {ADDRESS}, so nginx must listen "
                f"there: set HTTP_BIND={ADDRESS} or leave it empty."
            )

    @property
    def url(self):
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.settings['DOMAIN']}{port}"

    def _child_env(self):
        env = super()._child_env()
        env.update(
            CADDY_HTTP_PORT=str(self.redirect_port),
            CADDY_HTTPS_PORT=str(self.https_port),
            CADDY_UPSTREAM=f"{ADDRESS}:{self.port}",
        )
        return env

    def check_ports(self):
        super().check_ports()
        check_port_free(self.https_port, fix="HTTPS_PORT=9443 make https")
        check_port_free(self.redirect_port, fix="HTTP_REDIRECT_PORT=9080 make https")

    def start(self):
        tools.require("caddy")
        return super().start()

    def programs(self):
        # Caddy stops first (highest priority), before the nginx it forwards to.
        caddy = Program(
            "caddy", ["sh", str(ROOT / "caddy" / "run.sh")], log=str(self.log_path("caddy")), priority=40, stop_wait=10
        )
        return [*super().programs(), caddy]

    def services(self):
        return [*super().services(), ("caddy", self._caddy_listens, 30)]

    def ready_line(self, name):
        if name == "caddy":
            return f"caddy ready: the app is at {self.url}/; log {logs.shown(self.log_path('caddy'))}"
        return super().ready_line(name)

    def _caddy_listens(self):
        # Any TLS listener will do: the certificate may still be on its way from the CA.
        try:
            with socket.create_connection((ADDRESS, self.https_port), timeout=1):
                return True
        except OSError:
            return False
