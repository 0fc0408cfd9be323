"""make bench: where a request's time goes, and how the stack behaves under load.

One module per measurement, each with a ``run(ctx)`` that returns its figures as a dict:

  load         the API direct and through nginx, the redirect, static files
  breakdown    CPU per request of nginx and gunicorn, and the cost of each forwarded header
               (request_path: gunicorn's Python path for one request, timed in one process)
  fronts       the same gunicorn behind this nginx config, a minimal one, Caddy and HAProxy
  concurrency  an I/O-bound route (io_app) under sync, gthread and gevent workers
  scaling      throughput and p99 against clients and WEB_CONCURRENCY; RSS per process
  hotspots     where gunicorn's Python time goes (py-spy)
  pages        page weight of a first and second visit; cold start of `python -m stack up`

and the parts they share: ``wrk`` (load and CPU accounting), ``procs`` (processes, RSS),
``stacks`` (the native stacks and fronts the bench starts), ``charts`` (the pictures) and
``machine`` (versions). ``python -m bench`` runs them all and prints one report; see
``__main__``.
"""

import sys
from pathlib import Path

# The bench reuses the tests' process helpers (tests/support, imported as ``support`` as the tests
# do). A dependency may install a top-level ``tests`` package, so the folder goes on the path.
_TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
