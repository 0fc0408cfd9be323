"""Which worker class for a route that waits: an I/O-bound route (50 ms, bench.io_app) through
nginx at 16, 64 and 256 clients under sync, gthread and gevent workers (WEB_CONCURRENCY as
configured: cores + 1). Throughput, p99, and the RSS of a worker under that load."""

import statistics

from . import procs
from .stacks import BenchStack
from .wrk import Scenario, interleave

CLIENTS = (16, 64, 256)
HELLO_CLIENTS = 16
# (label, settings, worker class the settings do not offer): one request per process, gthread
# with few, the default (16) and many threads, and an async worker (gevent: not a setting of the
# stack, docs/performance.md, so given to gunicorn directly). sync needs GUNICORN_THREADS=1:
# with more, gunicorn runs gthread instead.
MODELS = (
    ("sync", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"}, None),
    ("gthread x2", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "2"}, None),
    ("gthread x16", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "16"}, None),
    ("gthread x64", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "64"}, None),
    ("gevent", {"GUNICORN_THREADS": "1"}, "gevent"),
)


def _worker_rss(stack):
    gunicorn = stack.groups()["gunicorn"]
    return lambda: [row["rss_mib"] for row in procs.group_rss("gunicorn", gunicorn) if row["role"] == "worker"]


def run(ctx):
    clients = CLIENTS[:1] + CLIENTS[-1:] if ctx.args.quick else CLIENTS
    models = [(label, {**ctx.base, **settings}, worker_class) for label, settings, worker_class in MODELS]
    scenarios = []
    with ctx.stacks() as start:
        for number, (label, settings, worker_class) in enumerate(models):
            stack = BenchStack(f"bench-io-{number}", settings, app="bench.io_app:app", worker_class=worker_class)
            ctx.log(f"starting the I/O-bound stack with {label} workers (nginx :{stack.port}) ...")
            start(stack)
            for n in clients:
                s = Scenario(
                    f"io_{number}_{n}",
                    f"I/O 50 ms, {label}, {n} clients",
                    f"http://127.0.0.1:{stack.port}{ctx.prefix}/io",
                    stack.groups(),
                    connections=n,
                    timeout=15,
                )
                s.model, s.clients, s.stack, s.route = label, n, stack, "io"
                scenarios.append(s)
            # The CPU-bound hello route too: what each model costs per request when nothing waits.
            s = Scenario(
                f"cpu_{number}",
                f"hello route, {label}, {HELLO_CLIENTS} clients",
                f"http://127.0.0.1:{stack.port}{ctx.prefix}/result",
                stack.groups(),
                connections=HELLO_CLIENTS,
            )
            s.model, s.clients, s.stack, s.route = label, HELLO_CLIENTS, stack, "hello"
            scenarios.append(s)
        ctx.log(f"concurrency: {len(scenarios)} scenarios x {ctx.args.rounds} rounds ...")
        summaries = interleave(
            ctx, scenarios, ctx.args.rounds, ctx.args.seconds, ctx.args.warmup, during=lambda s: _worker_rss(s.stack)
        )
    rows = []
    for s, summary in zip(scenarios, summaries, strict=True):
        rss = [statistics.mean(r["sampled"]) for r in s.rounds if r.get("sampled")]
        rows.append(
            {
                "model": s.model,
                "route": s.route,
                "clients": s.clients,
                "rate": summary["rate"],
                "p50_ms": summary["p50_ms"],
                "p99_ms": summary["p99_ms"],
                "worker_rss_mib": round(statistics.median(rss), 1) if rss else None,
                "workers": len(s.rounds[0].get("sampled") or []),
                "gunicorn_cpu_us": summary["cpu_us_per_request"]["gunicorn"],
                "errors": summary["non_2xx_3xx"] + summary["socket_errors"],
            }
        )
    return {"concurrency": {"wait_ms": 50, "clients": list(clients), "rows": rows}}


def lines(data):
    c = data["concurrency"]
    out = [
        "",
        f"I/O-bound route (waits {c['wait_ms']} ms) through nginx, by worker class "
        f"(throughput req/s / p99 ms / RSS per worker MiB):",
        f"  {'worker class':<14}" + "".join(f"{f'{n} clients':>26}" for n in c["clients"]) + f"{'errors':>8}",
    ]
    for model in dict.fromkeys(r["model"] for r in c["rows"]):
        rows = [r for r in c["rows"] if r["model"] == model and r["route"] == "io"]
        cells = "".join(f"{r['rate']:>9,.0f} /{r['p99_ms']:>8,.0f} /{(r['worker_rss_mib'] or 0):>5.0f}" for r in rows)
        out.append(f"  {model:<14}{cells}{sum(r['errors'] for r in rows):>8}")
    out.append(
        f"the hello route (no wait) by worker class, {HELLO_CLIENTS} clients through nginx "
        f"(req/s, p99 ms, gunicorn CPU us per request):"
    )
    out += [
        f"  {r['model']:<14}{r['rate']:>9,.0f}{r['p99_ms']:>9.1f}{r['gunicorn_cpu_us']:>9.0f}"
        for r in c["rows"]
        if r["route"] == "hello"
    ]
    return out
