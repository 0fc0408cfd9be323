"""`make dev`: the native stack with hot reload on both sides.

DevStack runs what NativeStack runs, switched to development:

- Vite's dev server (`npm run dev`) on VITE_PORT (default 5173, loopback only), with HMR;
- gunicorn with `reload` (GUNICORN_RELOAD=1), under the same SCRIPT_NAME as in production;
- nginx from the same template with SPA_DEV_SERVER set: `/` and `/assets/` go to Vite (the HMR
  WebSocket included), the API location is production's.

The browser opens nginx's port (HTTP_PORT), the production path. Vite's own port works too: its
proxy sends the API prefix to nginx with the browser's Host, so redirects name Vite's port.
Stopping (Ctrl-C, SIGTERM, a child dying, a failed start) ends every process group it started.
"""

import signal
import urllib.request
from pathlib import Path

from . import frontend
from .env import parse_port
from .errors import StackError
from .native import NativeStack, check_port_free

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
        self.frontend_dir = Path(frontend_dir or frontend.FRONTEND)
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
            DEV_API_TARGET=f"http://127.0.0.1:{self.port}",
        )
        return env

    def check_ports(self):
        check_port_free(self.port, fix="HTTP_PORT=8080 make dev")
        check_port_free(self.vite_port, fix=f"VITE_PORT={DEFAULT_VITE_PORT + 1} make dev")

    def prepare_frontend(self):
        frontend.ensure_installed()
        # Vite boots while gunicorn does; start_frontend waits for it. 127.0.0.1 rather than
        # Vite's "localhost", which may resolve to ::1 alone where nginx would not find it.
        self._spawn("vite", ["npm", "run", "dev", "--", "--host", "127.0.0.1", "--clearScreen", "false"],
                    cwd=self.frontend_dir)

    def start_frontend(self):
        self._wait_for(self._vite_answers, "vite", timeout=60)

    def _vite_answers(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.vite_port}/@vite/client", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def stop(self):
        # nginx first (no request reaches a stopped Vite), then Vite with its helpers (npm, the
        # shell, node: one process group), then gunicorn and the logs.
        self.stop_process("nginx", signal.SIGQUIT)
        self.stop_process("vite", signal.SIGTERM)
        super().stop()
