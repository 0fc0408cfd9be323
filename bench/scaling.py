"""Scaling curves and memory: the hello route through nginx at 1 to 256 clients (the main
stack), and at 16 clients with WEB_CONCURRENCY 1 to 4 (a stack each); RSS of every process of
the main stack at rest and under load (64 clients)."""

from . import procs
from .stacks import BenchStack
from .wrk import Scenario, interleave

CLIENTS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
QUICK_CLIENTS = (1, 16, 256)
WORKERS = (1, 2, 3, 4)
WORKERS_CLIENTS = 16
MEMORY_CLIENTS = 64


def stack_rss(stack):
    groups = stack.groups()
    return [row for name in ("nginx", "gunicorn") for row in procs.group_rss(name, groups[name])]


def run(ctx):
    url = f"http://{ctx.public}{ctx.prefix}/result"
    groups = ctx.main.groups()
    rest = stack_rss(ctx.main)
    clients = QUICK_CLIENTS if ctx.args.quick else CLIENTS
    scenarios = []
    for n in clients:
        s = Scenario(f"clients_{n}", f"API through nginx, {n} clients", url, groups, connections=n)
        s.clients = n
        scenarios.append(s)
    with ctx.stacks() as start:
        for workers in WORKERS:
            stack = BenchStack(f"bench-w{workers}", {**ctx.base, "WEB_CONCURRENCY": str(workers)})
            ctx.log(f"starting the stack with WEB_CONCURRENCY={workers} (nginx :{stack.port}) ...")
            start(stack)
            s = Scenario(
                f"workers_{workers}",
                f"API through nginx, WEB_CONCURRENCY={workers}",
                f"http://127.0.0.1:{stack.port}{ctx.prefix}/result",
                stack.groups(),
                connections=WORKERS_CLIENTS,
            )
            s.workers = workers
            scenarios.append(s)
        ctx.log(f"scaling: {len(scenarios)} scenarios x {ctx.args.rounds} rounds ...")
        memory = lambda s: (lambda: stack_rss(ctx.main)) if getattr(s, "clients", None) == MEMORY_CLIENTS else None  # noqa: E731
        summaries = interleave(ctx, scenarios, ctx.args.rounds, ctx.args.seconds, ctx.args.warmup, during=memory)
    by_clients, by_workers, loaded = [], [], None
    for s, summary in zip(scenarios, summaries, strict=True):
        row = {
            "rate": summary["rate"],
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
            "errors": summary["non_2xx_3xx"] + summary["socket_errors"],
        }
        if hasattr(s, "clients"):
            by_clients.append({"clients": s.clients, **row})
            if s.clients == MEMORY_CLIENTS:
                loaded = s.rounds[-1].get("sampled")
        else:
            by_workers.append({"workers": s.workers, "clients": WORKERS_CLIENTS, **row})
    return {
        "scaling": {"by_clients": by_clients, "by_workers": by_workers},
        "memory": {"at_rest": rest, "under_load": loaded, "load_clients": MEMORY_CLIENTS},
    }


def _memory_summary(rows, field="rss_mib"):
    out = {}
    for row in rows or []:
        out.setdefault(f"{row['group']} {row['role']}", []).append(row[field])
    return out


def lines(data):
    sc, mem = data["scaling"], data["memory"]
    out = [
        "",
        "API through nginx by clients (req/s, p99 ms): "
        + ", ".join(f"{r['clients']}: {r['rate']:,.0f} / {r['p99_ms']:.1f}" for r in sc["by_clients"]),
    ]
    out.append(
        f"API through nginx by WEB_CONCURRENCY at {WORKERS_CLIENTS} clients (req/s, p99 ms): "
        + ", ".join(f"{r['workers']}: {r['rate']:,.0f} / {r['p99_ms']:.1f}" for r in sc["by_workers"])
    )
    rest, load = _memory_summary(mem["at_rest"]), _memory_summary(mem["under_load"])
    cells = []
    for key in rest:
        under = load.get(key, [])
        cells.append(
            f"{key} {len(rest[key])} x {max(rest[key]):.0f}" + (f" -> {max(under):.0f}" if under else "") + " MiB"
        )
    total_rest = sum(sum(v) for v in _memory_summary(mem["at_rest"], "pss_mib").values())
    total_load = sum(sum(v) for v in _memory_summary(mem["under_load"], "pss_mib").values())
    out.append(
        f"RSS per process (largest of each kind), at rest -> under {mem['load_clients']} clients: " + "; ".join(cells)
    )
    out.append(
        f"the whole stack (sum of PSS: shared pages counted once): {total_rest:.0f} MiB at rest, "
        f"{total_load:.0f} MiB under load"
    )
    return out
