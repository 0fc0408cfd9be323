"""gunicorn's Python work for one request, timed in one process: what a worker does between
reading the bytes and writing the answer (parse, WSGI environ, the app behind ProxyFix, the
response, the access log), with backend/gunicorn.conf.py's settings and no sockets.

Run by the breakdown as ``python -m bench.request_path`` (JSON in on stdin, out on stdout), so
that the app is imported the way a worker imports it. Without the kernel and the other
processes in the way this resolves a microsecond, which the CPU counters of a loaded server
cannot: it is how each header's own cost is measured. Cases alternate within every round.
"""

import json
import os
import runpy
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

BACKEND = Path(__file__).resolve().parent.parent / "backend"
STAGES = ("parse", "environ", "app", "access_log")


class _Socket:
    """Hands the parser one request's bytes and swallows the response."""

    def __init__(self, data):
        self.data = data

    def recv(self, size):
        data, self.data = self.data, b""
        return data

    def sendall(self, data):
        pass


def _config(log_path):
    from gunicorn.config import Config

    ns = runpy.run_path(str(BACKEND / "gunicorn.conf.py"))
    cfg = Config()
    for name, value in ns.items():
        if name in cfg.settings and name not in ("bind", "accesslog", "errorlog"):
            cfg.set(name, value)
    cfg.set("accesslog", str(log_path))  # as in the bench's stacks: to a file
    return cfg


def _one_request(cfg, log, app, raw, clock):
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    t0 = clock()
    req = next(RequestParser(cfg, _Socket(raw), ("127.0.0.1", 40000)))
    t1 = clock()
    sock = _Socket(b"")
    resp, environ = wsgi.create(req, sock, ("127.0.0.1", 40000), ("127.0.0.1", 8001), cfg)
    environ["wsgi.multithread"] = True
    t2 = clock()
    started = datetime.now()
    body = app(environ, resp.start_response)
    for chunk in body:
        resp.write(chunk)
    resp.close()
    if hasattr(body, "close"):
        body.close()
    t3 = clock()
    log.access(resp, req, environ, datetime.now() - started)
    t4 = clock()
    return (t1 - t0, t2 - t1, t3 - t2, t4 - t3), resp.status


def measure(cases, rounds, number, log_path):
    """{case: {"total_us": [per round], stage: [per round], ...}} for raw request bytes: the
    median request of each round."""
    sys.path.insert(0, str(BACKEND))
    os.chdir(BACKEND)
    cfg = _config(log_path)
    from gunicorn.glogging import Logger

    log = Logger(cfg)
    app = __import__("wsgi").app
    clock = time.perf_counter
    out = {name: {"total_us": [], **{s: [] for s in STAGES}} for name in cases}
    names = list(cases)
    for number_round in range(rounds + 1):  # the first round warms up and is dropped
        for name in names if number_round % 2 == 0 else names[::-1]:
            raw = cases[name].encode("latin-1")
            # The median request of the round, not the mean: a request that the machine's other
            # work preempted is an outlier, not a cost of the case.
            runs = [_one_request(cfg, log, app, raw, clock) for _ in range(number)]
            if not runs[0][1].startswith("200"):
                raise SystemExit(f"bench.request_path: case {name!r} answered {runs[0][1]}, not 200")
            times = [t for t, _ in runs]
            if number_round:
                for i, stage in enumerate(STAGES):
                    out[name][stage].append(round(statistics.median(t[i] for t in times) * 1e6, 2))
                out[name]["total_us"].append(round(statistics.median(sum(t) for t in times) * 1e6, 2))
    return out


def main():
    job = json.load(sys.stdin)
    # The access log lines go to a file, like a quiet stack's; nobody reads them.
    log_path = Path(job["log_path"])
    try:
        result = measure(job["cases"], job["rounds"], job["number"], log_path)
    finally:
        log_path.unlink(missing_ok=True)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
