"""gunicorn's own cost: worker class, threads and its access log, each a stack of its own
(bench.io_app, WEB_CONCURRENCY as configured) behind its nginx. The hello route at 16 clients
(req/s, gunicorn's CPU per request) for every variant, and the route that waits 50 ms at 64
clients for the ones that change the worker model, since that is what the thread count is for.

Each variant is settings only (GUNICORN_WORKER_CLASS, GUNICORN_THREADS, GUNICORN_ACCESS_LOG), the
way a deployment would change them; the log's format is the observability part's question.
"""

from .stacks import BenchStack
from .wrk import Scenario, interleave

HELLO_CLIENTS = 16
IO_CLIENTS = 64
GTHREAD = {"GUNICORN_WORKER_CLASS": "gthread"}
SYNC = {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"}
LOG_ON = {"GUNICORN_ACCESS_LOG": "1"}
LOG_OFF = {"GUNICORN_ACCESS_LOG": "0"}
# (label, settings, also on the waiting route)
VARIANTS = (
    ("gthread x16, log on", {**GTHREAD, "GUNICORN_THREADS": "16", **LOG_ON}, True),
    ("gthread x16, log off", {**GTHREAD, "GUNICORN_THREADS": "16", **LOG_OFF}, False),
    ("gthread x4, log on", {**GTHREAD, "GUNICORN_THREADS": "4", **LOG_ON}, True),
    ("gthread x4, log off", {**GTHREAD, "GUNICORN_THREADS": "4", **LOG_OFF}, False),
    ("gthread x1, log on", {**GTHREAD, "GUNICORN_THREADS": "1", **LOG_ON}, True),
    ("sync, log on", {**SYNC, **LOG_ON}, True),
    ("sync, log off", {**SYNC, **LOG_OFF}, False),
)


def run(ctx):
    scenarios = []
    with ctx.stacks() as start:
        for number, (label, settings, io) in enumerate(VARIANTS):
            stack = BenchStack(f"bench-gw-{number}", {**ctx.base, **settings}, app="bench.io_app:app")
            ctx.log(f"starting gunicorn {label} (nginx :{stack.port}) ...")
            start(stack)
            base = f"http://127.0.0.1:{stack.port}{ctx.prefix}"
            s = Scenario(f"gw_{number}_hello", f"hello route, {label}", f"{base}/result", stack.groups())
            s.variant, s.route = label, "hello"
            scenarios.append(s)
            if io:
                s = Scenario(
                    f"gw_{number}_io",
                    f"I/O 50 ms, {label}, {IO_CLIENTS} clients",
                    f"{base}/io",
                    stack.groups(),
                    connections=IO_CLIENTS,
                    timeout=15,
                )
                s.variant, s.route = label, "io"
                scenarios.append(s)
        ctx.log(f"gunicorn: {len(scenarios)} scenarios x {ctx.args.rounds} rounds ...")
        summaries = interleave(ctx, scenarios, ctx.args.rounds, ctx.args.seconds, ctx.args.warmup)
    rows = {}
    for s, summary in zip(scenarios, summaries, strict=True):
        cpu = summary["cpu_us_per_request"]
        row = rows.setdefault(s.variant, {"variant": s.variant})
        row[s.route] = {
            "rate": summary["rate"],
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
            "gunicorn_cpu_us": cpu["gunicorn"],
            "nginx_cpu_us": cpu["nginx"],
            "errors": summary["non_2xx_3xx"] + summary["socket_errors"],
        }
    return {
        "gunicorn_variants": {"hello_clients": HELLO_CLIENTS, "io_clients": IO_CLIENTS, "rows": list(rows.values())}
    }


def errors(data):
    rows = data.get("gunicorn_variants", {}).get("rows", [])
    return sum(r[route]["errors"] for r in rows for route in ("hello", "io") if route in r)


def lines(data):
    g = data["gunicorn_variants"]
    out = [
        "",
        f"gunicorn's own cost, a stack per variant: the hello route at {g['hello_clients']} clients "
        f"(req/s, p99 ms, gunicorn CPU us/req) and the 50 ms route at {g['io_clients']} clients (req/s, p99 ms):",
    ]
    for r in g["rows"]:
        h = r["hello"]
        line = f"  {r['variant']:<24}{h['rate']:>9,.0f}{h['p99_ms']:>9.1f}{h['gunicorn_cpu_us']:>9.0f}"
        if "io" in r:
            line += f"   |{r['io']['rate']:>9,.0f}{r['io']['p99_ms']:>9.0f}"
        out.append(line)
    return out
