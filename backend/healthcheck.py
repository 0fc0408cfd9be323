"""Container health check: GET {API_PREFIX}/health from inside the API container.

It names an allowed host (the first of ALLOWED_HOSTS) so that the check passes when the app
refuses unknown hosts. Exit 0 when healthy, 1 otherwise.
"""

import sys
import urllib.request

from app.settings import load, read

settings = load()
host = (settings.allowed_hosts or ("localhost",))[0].lstrip(".")
# The image listens on API_BIND (its Dockerfile sets 0.0.0.0:8000); unset, gunicorn's default.
port = (read("API_BIND") or "127.0.0.1:8000").rsplit(":", 1)[-1]
req = urllib.request.Request(f"http://127.0.0.1:{port}{settings.api_prefix}/health", headers={"X-Forwarded-Host": host})
try:
    # A literal http URL on loopback (bandit's B310 fears file: and custom schemes).
    with urllib.request.urlopen(req, timeout=3) as response:  # nosec B310
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"healthcheck: {exc}", file=sys.stderr)
    sys.exit(1)
