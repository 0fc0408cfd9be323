"""The same gunicorn (the main stack's, over its unix socket) behind four fronts: this
project's nginx config, a minimal proxy_pass nginx with upstream keep-alive (the floor for
nginx), Caddy and HAProxy; and the minimal nginx again with this config's headers (what the
headers cost gunicorn under load). Same load as the API rows; run in their pool, interleaved."""

from contextlib import ExitStack

from . import stacks
from .load import paired_ratio
from .stacks import free_port
from .wrk import Scenario

TARGET_OVER_MINIMAL = 0.95


def start(ctx, exits: ExitStack):
    """Start the three other fronts; returns {name: (port, process group id)}."""
    started = {}
    for name, front in stacks.FRONTS.items():
        port = free_port()
        proc = exits.enter_context(front(ctx.work / f"front-{name}", port, ctx.main.socket_path, prefix=ctx.prefix))
        started[name] = (port, proc.pid)
    return started


def scenarios(ctx):
    rows = []
    for name, (port, pgid) in ctx.fronts.items():
        groups = {"gunicorn": ctx.main.groups()["gunicorn"], "front": pgid}
        rows.append(
            Scenario(
                f"front_{name}",
                f"API through {name}",
                f"http://127.0.0.1:{port}{ctx.prefix}/result",
                groups,
                headers=(f"Host: {ctx.public}",),
            )
        )
    return rows


def report(ctx, results):
    rows = {"nginx (this config)": results["api_proxied"], **{name: results[f"front_{name}"] for name in ctx.fronts}}
    out = {}
    for name, r in rows.items():
        cpu = r["cpu_us_per_request"]
        out[name] = {
            "rate": r["rate"],
            "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"],
            "front_cpu_us": cpu.get("front", cpu.get("nginx")),
            "gunicorn_cpu_us": cpu["gunicorn"],
            "errors": r["non_2xx_3xx"] + r["socket_errors"],
        }
    ours_over_minimal, pairs = paired_ratio(results["api_proxied"], results["front_nginx-minimal"])
    return {"fronts": out, "ours_over_minimal": ours_over_minimal, "ours_over_minimal_per_round": pairs}


def targets(data):
    value = data["fronts"]["ours_over_minimal"]
    return [
        (
            "this nginx config / minimal nginx (throughput)",
            value,
            f">= {TARGET_OVER_MINIMAL:.2f}",
            value >= TARGET_OVER_MINIMAL,
        )
    ]


def lines(data):
    f = data["fronts"]
    out = [
        "",
        "the same gunicorn behind four fronts, and the minimal nginx with this config's headers "
        "(wrk -c16, hello route):",
        f"  {'front':<22}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'front CPU us/req':>18}{'gunicorn us/req':>17}{'errors':>8}",
    ]
    for name, r in f["fronts"].items():
        out.append(
            f"  {name:<22}{r['rate']:>9,.0f}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['front_cpu_us']:>18.0f}"
            f"{r['gunicorn_cpu_us']:>17.0f}{r['errors']:>8}"
        )
    out.append(
        f"  this config / minimal nginx: {f['ours_over_minimal']:.3f} (rounds: "
        f"{', '.join(f'{v:.2f}' for v in f['ours_over_minimal_per_round'])})"
    )
    return out
