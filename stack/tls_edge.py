"""`make https` without Docker: the native stack with nginx terminating TLS itself.

nginx listens on HTTPS_PORT (https, HTTP/2 by ALPN) and on HTTP_REDIRECT_PORT (plain http: ACME's
http-01 challenge, and a 308 to https for everything else); HTTP_PORT is not used. Two more
programs run under the same supervisord: `acme` (acme/lego.sh: lego gets the certificate for
DOMAIN and renews it, into .run/NAME/acme/) and `tls-watch` (nginx/tls-watch.sh: reloads nginx
when the certificate changes). `make https-local` has no `acme`: the certificate for localhost
comes from the runner's local CA (stack/local_ca.py) before anything starts.
"""

import socket
import subprocess

from . import local_ca, logs, tools
from .env import ROOT
from .errors import StackError
from .native import NativeStack
from .supervision import Program


class HttpsStack(NativeStack):
    """gunicorn + nginx at the edge (+ lego). settings: already checked by stack.https.check()."""

    def __init__(self, settings, name="https", quiet=False, build=True):
        super().__init__(settings, name=name, quiet=quiet, build=build)
        self.https_port = int(self.settings["HTTPS_PORT"])
        self.redirect_port = int(self.settings["HTTP_REDIRECT_PORT"])
        self.domain = self.settings["DOMAIN"]
        # make https-local: no ACME account, the local CA signs.
        self.local = not self.settings.get("ACME_EMAIL")
        self.acme_dir = self.run_dir / "acme"
        if self.local:
            self.ca, self.certificate, self.key = local_ca.paths()
        else:
            self.ca = None
            self.certificate = self.acme_dir / "certificates" / f"{self.domain}.crt"
            self.key = self.acme_dir / "certificates" / f"{self.domain}.key"

    @property
    def url(self):
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.domain}{port}"

    def _child_env(self):
        env = super()._child_env()
        env.update(
            TLS_CERT=str(self.certificate),
            TLS_KEY=str(self.key),
            NGINX_TLS_STATE=str(self.run_dir / "tls-certificate.conf"),
            NGINX_TLS_LISTEN_PORT=str(self.https_port),
            NGINX_REDIRECT_LISTEN_PORT=str(self.redirect_port),
            ACME_PATH=str(self.acme_dir),
            ACME_WEBROOT=str(self.acme_dir / "webroot"),
        )
        return env

    def public_ports(self):
        return [
            (self.https_port, "HTTPS_PORT=9443 make https"),
            (self.redirect_port, "HTTP_REDIRECT_PORT=9080 make https"),
        ]

    def start(self):
        tools.require("openssl" if self.local else "lego")
        if self.local:
            local_ca.ensure()
        return super().start()

    def before_nginx_check(self, env):
        # The certificate, or (until lego has one) a refusal of every handshake.
        done = subprocess.run(
            ["sh", str(ROOT / "nginx" / "tls-watch.sh"), "--once"], env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise StackError(done.stderr.strip() or "nginx/tls-watch.sh --once failed")

    def programs(self):
        watch = Program(
            "tls-watch", ["sh", str(ROOT / "nginx" / "tls-watch.sh")], log=str(self.log_path("tls-watch")), priority=35
        )
        programs = [*super().programs(), watch]
        if not self.local:
            acme = Program(
                "acme",
                ["sh", str(ROOT / "acme" / "lego.sh")],
                log=str(self.log_path("acme")),
                priority=40,
                stop_wait=10,
            )
            programs.append(acme)
        return programs

    def services(self):
        extra = [("tls-watch", lambda: True, 10)]
        if not self.local:
            extra.append(("acme", lambda: True, 10))
        return [*super().services(), *extra]

    def logs_shown(self):
        # Few lines each: a certificate obtained or renewed, nginx reloaded, or why not. Each
        # line names its program already ("tls-watch: ...", "acme: ...", lego's own).
        shown = [(self.log_path("tls-watch"), "https", logs.all_lines)]
        if not self.local:
            shown.append((self.log_path("acme"), "https", logs.all_lines))
        return [*super().logs_shown(), *shown]

    def ready_line(self, name):
        if name == "tls-watch":
            if self.local:
                return (
                    f"https ready: the app is at {self.url}/ with a certificate of the local CA "
                    f"{logs.shown(self.ca)} (trust it once: docs/https.md)"
                )
            return f"tls-watch ready: nginx reloads when {logs.shown(self.certificate)} changes"
        if name == "acme":
            ca = self.settings.get("ACME_CA") or "Let's Encrypt"
            return (
                f"acme ready: lego asks {ca} for a certificate for {self.domain}; the app will be at "
                f"{self.url}/; log {logs.shown(self.log_path('acme'))}"
            )
        return super().ready_line(name)

    def _nginx_answers(self):
        # Plain http on the redirect port: any HTTP answer (the 308) will do; https may still
        # refuse handshakes while lego gets the certificate.
        try:
            with socket.create_connection((self.connect_host, self.redirect_port), timeout=2) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/1.")
        except OSError:
            return False
