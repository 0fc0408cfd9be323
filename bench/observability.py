"""What observability costs: the API's CPU per request (gunicorn's processes and nginx's, from
/proc) on the hello route through nginx, for each row of VARIANTS, a stack each, in the same
rounds (every other one backwards). Each figure is set against BASELINE's in the same round,
and the median of those per-round differences is reported."""

import statistics

from stack.native import free_port

from .stacks import BenchStack
from .wrk import Scenario, interleave

# METRICS_BIND in a row: a free loopback port of its own, chosen when the stack starts.
METRICS_ON = "free loopback port"

# (key, label, settings): one stack each. The first is the stack without what is priced (text
# logs, as the stack wrote them before LOG_FORMAT); a row that prices something else (another
# setting on and off) is one more line here.
_TEXT_ACCESS = {"LOG_FORMAT": "text", "GUNICORN_ACCESS_LOG": "1"}
VARIANTS = (
    ("text", "text logs, gunicorn access log on", _TEXT_ACCESS),
    ("json", "JSON logs, gunicorn access log on", {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": "1"}),
    ("text_no_access", "text logs, gunicorn access log off", {"LOG_FORMAT": "text", "GUNICORN_ACCESS_LOG": "0"}),
    ("json_no_access", "JSON logs, gunicorn access log off", {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": "0"}),
    # The API's metrics (METRICS_BIND): alone on the first row's stack, then with the logs as shipped.
    ("metrics", "text logs, access log on, metrics on", {**_TEXT_ACCESS, "METRICS_BIND": METRICS_ON}),
    (
        "json_no_access_metrics",
        "JSON logs, access log off, metrics on",
        {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": "0", "METRICS_BIND": METRICS_ON},
    ),
)
BASELINE = VARIANTS[0][0]
# The logs as they ship, and the stack as Docker, Swarm and Kubernetes ship it (logs and metrics
# together): the rows the targets judge, each against the first.
LOGS_SHIPPED = "json_no_access"
SHIPPED = "json_no_access_metrics"
TARGET_PCT = 10
PARTS = ("gunicorn", "nginx")


def _api_cpu(row):
    """gunicorn's and nginx's CPU per request in one round, in microseconds."""
    return sum(row["cpu_us_per_request"][part] or 0 for part in PARTS)


def run(ctx):
    scenarios = []
    with ctx.stacks() as start:
        for key, label, settings in VARIANTS:
            if settings.get("METRICS_BIND") == METRICS_ON:
                settings = {**settings, "METRICS_BIND": f"127.0.0.1:{free_port()}"}
            stack = BenchStack(f"bench-obs-{key}", {**ctx.base, **settings})
            ctx.log(f"starting the stack with {label} (nginx :{stack.port}) ...")
            start(stack)
            url = f"http://127.0.0.1:{stack.port}{ctx.prefix}/result"
            scenarios.append(Scenario(f"observability_{key}", label, url, stack.groups()))
        ctx.log(f"observability: {len(scenarios)} stacks x {ctx.args.rounds} rounds x {ctx.args.seconds} s ...")
        summaries = interleave(ctx, scenarios, ctx.args.rounds, ctx.args.seconds, ctx.args.warmup)
    base_rounds = [_api_cpu(r) for r in scenarios[0].rounds]
    rows = []
    for (key, label, settings), scenario, summary in zip(VARIANTS, scenarios, summaries, strict=True):
        own = [_api_cpu(r) for r in scenario.rounds]
        deltas = [mine - base for mine, base in zip(own, base_rounds, strict=True)]
        pct = [100 * (mine - base) / base for mine, base in zip(own, base_rounds, strict=True) if base]
        rows.append(
            {
                "key": key,
                "label": label,
                "settings": settings,
                "rate": summary["rate"],
                "p99_ms": summary["p99_ms"],
                "cpu_us_per_request": {part: summary["cpu_us_per_request"][part] for part in PARTS},
                "api_cpu_us": round(statistics.median(own), 1),
                "vs_baseline_us": round(statistics.median(deltas), 1),
                "vs_baseline_pct": round(statistics.median(pct), 1) if pct else None,
                "errors": summary["non_2xx_3xx"] + summary["socket_errors"],
                "other_load_cores": summary["other_load_cores"],
            }
        )
    return {"observability": {"baseline": BASELINE, "rows": rows}}


def lines(data):
    obs = data["observability"]
    out = ["", "observability's cost: API CPU per request (gunicorn + nginx) through nginx, hello route, 16 clients"]
    for r in obs["rows"]:
        cpu = r["cpu_us_per_request"]
        versus = (
            "the baseline"
            if r["key"] == obs["baseline"]
            else f"{r['vs_baseline_us']:+.1f} us ({r['vs_baseline_pct']:+.1f}%) vs the first"
        )
        out.append(
            f"  {r['label']:<38} {r['api_cpu_us']:6.1f} us (gunicorn {cpu['gunicorn']:.1f}, nginx {cpu['nginx']:.1f}), "
            f"{r['rate']:,.0f} req/s: {versus}"
        )
    return out


def targets(data):
    rows = {r["key"]: r for r in data.get("observability", {}).get("rows", [])}
    judged = []
    for key, what in ((LOGS_SHIPPED, "logs as shipped"), (SHIPPED, "logs and metrics together")):
        if key in rows:
            pct = rows[key]["vs_baseline_pct"]
            name = f"{what} ({key}) vs {BASELINE}: API CPU"
            judged.append((name, f"{pct:+.1f}%", f"<= +{TARGET_PCT}%", pct is not None and pct <= TARGET_PCT))
    return judged
