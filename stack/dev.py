"""`make dev`: the native stack with hot reload on both sides.

DevStack runs what NativeStack runs, switched to development:

- Vite's dev server (`npm run dev`) on VITE_PORT (default 5173, loopback only), with HMR;
- gunicorn with `reload` (GUNICORN_RELOAD=1), under the same SCRIPT_NAME as in production;
- nginx from the same template with SPA_DEV_SERVER set: `/` and `/assets/` go to Vite (the HMR
  WebSocket included), the API location is production's.

The browser opens nginx's port (HTTP_PORT), the production path. Vite's own port works too: its
proxy sends the API prefix to nginx with the browser's Host, so redirects name Vite's port.
All three run under the same supervisord as in `make up`: one that crashes is restarted.
Stopping (Ctrl-C, SIGTERM, too many crashes, a failed start) ends every process it started.
"""

import shutil
import urllib.request
from pathlib import Path

from . import logs, node, spa
from . import settings as stack_settings
from .env import parse_port
from .errors import StackError
from .native import NativeStack, check_port_free, url_host
from .supervision import Program

DEFAULT_VITE_PORT = 5173


def vite_port(settings):
    return parse_port(settings.get("VITE_PORT") or str(DEFAULT_VITE_PORT), "VITE_PORT")


class DevStack(NativeStack):
    """gunicorn --reload + Vite + nginx in dev mode.

    frontend_dir, backend_dir: the projects to run (default: the checkout's frontend/ and
    backend/); the tests point them at copies they can edit.
    """

    def __init__(self, settings, name="dev", quiet=False, frontend_dir=None, backend_dir=None):
        super().__init__(settings, name=name, quiet=quiet, build=False)
        self.vite_port = vite_port(self.settings)
        if self.vite_port == self.port:
            raise StackError(
                f"VITE_PORT and HTTP_PORT are both {self.port}: Vite and nginx need a port each "
                f"(e.g. VITE_PORT={DEFAULT_VITE_PORT})."
            )
        self.frontend_dir = Path(frontend_dir or spa.FRONTEND)
        if backend_dir:
            self.backend_dir = Path(backend_dir)

    @property
    def vite_url(self):
        return f"http://localhost:{self.vite_port}"

    def _child_env(self):
        env = super()._child_env()
        env.update(
            # nginx: proxy the SPA's locations to Vite (15-derive-settings.envsh).
            SPA_DEV_SERVER=f"127.0.0.1:{self.vite_port}",
            # gunicorn: restart workers when a loaded Python file changes.
            GUNICORN_RELOAD="1",
            # Vite: its port, and where its proxy sends the API (nginx, as the browser would).
            VITE_PORT=str(self.vite_port),
            DEV_API_TARGET=f"http://{url_host(self.connect_host)}:{self.port}",
        )
        # npm and Vite: the Node that `make up` builds with.
        return node.environ(env)

    @property
    def mode(self):
        return "dev mode: Vite's HMR and gunicorn's reload"

    def programs(self):
        # The npm of the Node in use (maybe the project-local one), as supervisord will not search PATH
        # the way this process's child environment has it.
        npm = shutil.which("npm", path=self._child_env()["PATH"]) or "npm"
        # 127.0.0.1 rather than Vite's "localhost", which may resolve to ::1 alone where nginx
        # would not find it.
        vite = Program(
            "vite",
            [npm, "run", "dev", "--", "--host", "127.0.0.1", "--clearScreen", "false"],
            log=str(self.log_path("vite")),
            directory=str(self.frontend_dir),
            priority=20,
        )
        return [*super().programs(), vite]

    def services(self):
        # With MONITORING=1 the exporter and Prometheus come after nginx.
        gunicorn, nginx, *monitoring = super().services()
        return [gunicorn, ("vite", self._vite_answers, 60), nginx, *monitoring]

    def logs_shown(self):
        # Vite's own lines (HMR updates, compile errors) from the moment it is ready.
        return [*super().logs_shown(), (self.log_path("vite"), "vite", logs.all_lines)]

    def ready_line(self, name):
        if name == "vite":
            changed = stack_settings.non_defaults(self.settings, self.SHOWN["vite"])
            extra = f" [{', '.join(changed)}]" if changed else ""
            return (
                f"vite ready at {self.vite_url}/ (its proxy sends the API through nginx){extra}; "
                f"log {logs.shown(self.log_path('vite'))}"
            )
        return super().ready_line(name)

    def check_ports(self):
        check_port_free(self.port, fix="HTTP_PORT=8080 make dev", address=self.bind)
        check_port_free(self.vite_port, fix=f"VITE_PORT={DEFAULT_VITE_PORT + 1} make dev")

    def prepare_frontend(self):
        spa.ensure_installed()

    def _vite_answers(self):
        try:
            # A literal http URL on loopback (bandit's B310 fears file: and custom schemes).
            url = f"http://127.0.0.1:{self.vite_port}/@vite/client"
            with urllib.request.urlopen(url, timeout=2) as answer:  # nosec B310
                return answer.status == 200
        except OSError:
            return False
