"""gunicorn's own cost: worker class, threads and its access log, each a stack of its own
(bench.io_app, WEB_CONCURRENCY as configured) behind its nginx. The hello route at 16 clients
(req/s, gunicorn's CPU per request) for every variant, and the route that waits 50 ms at 64
clients for the ones that change the worker model, since that is what the thread count is for.

The access log off and a shorter format are a gunicorn config file that runs
backend/gunicorn.conf.py and changes only that setting (ACCESS_LOG_VARIANTS); the log's default
and format are the settings' own, not changed by the bench.
"""

from .stacks import ROOT, BenchStack
from .wrk import Scenario, interleave

HELLO_CLIENTS = 16
IO_CLIENTS = 64
# (label, settings, access log variant, also on the waiting route)
VARIANTS = (
    ("gthread x16, log on", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "16"}, "on", True),
    ("gthread x16, log off", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "16"}, "off", False),
    ("gthread x16, short log", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "16"}, "short", False),
    ("gthread x4, log on", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "4"}, "on", True),
    ("gthread x4, log off", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "4"}, "off", False),
    ("gthread x1, log on", {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "1"}, "on", True),
    ("sync, log on", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"}, "on", True),
    ("sync, log off", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"}, "off", False),
)
# What follows backend/gunicorn.conf.py in the variant's config file.
ACCESS_LOG_VARIANTS = {
    "off": "accesslog = None\n",
    # the request line, status and nginx's request id only
    "short": "access_log_format = '\"%(r)s\" %(s)s request_id=%({x-request-id}i)s'\n",
}


def config_file(work, variant):
    """A gunicorn config: backend/gunicorn.conf.py's settings, then the variant's; None for "on"."""
    if variant not in ACCESS_LOG_VARIANTS:
        return None
    path = work / f"gunicorn-log-{variant}.conf.py"
    shipped = ROOT / "backend" / "gunicorn.conf.py"
    path.write_text(
        "import runpy\n\n"
        f"globals().update((k, v) for k, v in runpy.run_path({str(shipped)!r}).items() if not k.startswith('__'))\n"
        + ACCESS_LOG_VARIANTS[variant]
    )
    return path


def run(ctx):
    started, scenarios = [], []
    try:
        for number, (label, settings, log, io) in enumerate(VARIANTS):
            conf = config_file(ctx.work, log)
            stack = BenchStack(f"bench-gw-{number}", {**ctx.base, **settings}, app="bench.io_app:app", conf=conf)
            ctx.log(f"starting gunicorn {label} (nginx :{stack.port}) ...")
            started.append(stack.start())
            ctx.extra_stacks.append(stack)
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
    finally:
        for stack in started:
            stack.cleanup()
            ctx.extra_stacks.remove(stack)
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
