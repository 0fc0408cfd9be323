"""Where a proxied request's CPU goes: nginx and gunicorn, direct and proxied, and what each
header that nginx adds costs gunicorn.

Two measurements. Under load (in the pool, interleaved): the CPU per request of gunicorn,
nginx and wrk for the API direct, direct with all of nginx's headers, and through nginx. In
one process (bench.request_path): gunicorn's Python path for one request, bare, with each of
nginx's headers alone, with all of them, and with a padding header as long as
X-Forwarded-Host (the control: what any header of that size costs). A header's cost is the
time with it minus without it in the same round; the figure is the median of the rounds.
"""

import json
import os
import statistics
import subprocess
import sys

from .request_path import STAGES
from .stacks import ROOT
from .wrk import BenchError, Scenario

TARGET_HEADERS_US = 10.0
REQUEST_ID = "X-Request-ID: 0123456789abcdef0123456789abcdef"


def nginx_headers(ctx):
    """The headers nginx's config adds to a request for the API, with the values it sends here."""
    public, port = ctx.public, ctx.main.port
    return {
        "X-Forwarded-For": "X-Forwarded-For: 127.0.0.1",
        "X-Forwarded-Proto": "X-Forwarded-Proto: http",
        "X-Forwarded-Host": f"X-Forwarded-Host: {public}",
        "X-Forwarded-Port": f"X-Forwarded-Port: {port}",
        "X-Forwarded-Prefix": f"X-Forwarded-Prefix: {ctx.prefix}",
        "X-Request-ID": REQUEST_ID,
    }


def scenarios(ctx):
    return [
        Scenario(
            "hdr_all",
            "API direct + nginx's headers",
            ctx.direct_url,
            ctx.main.groups(),
            headers=(f"Host: {ctx.public}", *nginx_headers(ctx).values()),
        )
    ]


def _raw_request(ctx, *headers):
    lines = [f"GET {ctx.prefix}/result HTTP/1.1", f"Host: {ctx.public}", "User-Agent: wrk", *headers]
    return "\r\n".join(lines) + "\r\n\r\n"


def in_process(ctx):
    """Each header's cost on gunicorn's Python path (bench.request_path), in a subprocess with
    the stack's settings."""
    from stack.settings import SETTING_NAMES

    headers = nginx_headers(ctx)
    padding = "X-Padding: " + "x" * (len(headers["X-Forwarded-Host"]) - len("X-Padding: "))
    cases = {
        "bare": _raw_request(ctx),
        **{name: _raw_request(ctx, line) for name, line in headers.items()},
        "X-Padding (control)": _raw_request(ctx, padding),
        "all": _raw_request(ctx, *headers.values()),
    }
    rounds, number = (3, 300) if ctx.args.quick else (9, 1500)
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(ctx.base)
    job = {"cases": cases, "rounds": rounds, "number": number, "log_path": str(ctx.work / "request-path.log")}
    ctx.log(f"gunicorn's request path in one process: {len(cases)} cases x {rounds} rounds x {number} requests ...")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.request_path"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    if proc.returncode:
        raise BenchError(f"bench.request_path failed: {proc.stderr.strip()[-500:]}")
    timings = json.loads(proc.stdout)
    bare = timings["bare"]
    out = {}
    for name, t in timings.items():
        deltas = [a - b for a, b in zip(t["total_us"], bare["total_us"], strict=False)]
        out[name] = {
            "us": round(statistics.median(t["total_us"]), 1),
            "cost_us": round(statistics.median(deltas), 1),
            "per_round": [round(d, 1) for d in deltas],
            "stages_us": {s: round(statistics.median(t[s]), 1) for s in STAGES},
        }
    return {"rounds": rounds, "requests_per_round": number, "cases": out}


def _behind_minimal(results):
    plain, with_headers = results.get("front_nginx-minimal"), results.get("front_nginx-minimal+headers")
    if not plain or not with_headers:
        return {}
    deltas = [
        (h["cpu_us_per_request"]["gunicorn"] or 0) - (p["cpu_us_per_request"]["gunicorn"] or 0)
        for h, p in zip(with_headers["rounds"], plain["rounds"], strict=False)
    ]
    return {
        "headers_behind_nginx_us": round(statistics.median(deltas), 1),
        "headers_behind_nginx_per_round": [round(d, 1) for d in deltas],
        "headers_behind_nginx_rate_ratio": round(with_headers["rate"] / plain["rate"], 3) if plain["rate"] else None,
    }


def report(ctx, results, path):
    direct, proxied, allh = results["api_direct"], results["api_proxied"], results["hdr_all"]
    deltas = [
        (a["cpu_us_per_request"]["gunicorn"] or 0) - (d["cpu_us_per_request"]["gunicorn"] or 0)
        for a, d in zip(allh["rounds"], direct["rounds"], strict=False)
    ]
    cpu_d, cpu_p, cpu_a = direct["cpu_us_per_request"], proxied["cpu_us_per_request"], allh["cpu_us_per_request"]
    return {
        "cpu_us_per_request": {
            "direct": {"gunicorn": cpu_d["gunicorn"], "wrk": cpu_d["wrk"]},
            "direct_with_nginx_headers": {"gunicorn": cpu_a["gunicorn"], "wrk": cpu_a["wrk"]},
            "proxied": {"gunicorn": cpu_p["gunicorn"], "nginx": cpu_p["nginx"], "wrk": cpu_p["wrk"]},
        },
        # gunicorn behind nginx over direct: the headers, and the rest (unix socket vs TCP,
        # nginx's keep-alive pattern).
        "gunicorn_extra_us": round(cpu_p["gunicorn"] - cpu_d["gunicorn"], 1),
        # Under load behind nginx: the minimal config with and without this config's headers.
        **_behind_minimal(results),
        # The same under load, from the CPU counters: noisier, and it includes the kernel.
        "headers_under_load_us": round(statistics.median(deltas), 1),
        "headers_under_load_per_round": [round(d, 1) for d in deltas],
        "request_path": path,
    }


def targets(data):
    cost = data["breakdown"]["request_path"]["cases"]["all"]["cost_us"]
    return [
        ("gunicorn-side cost of nginx's headers (us)", cost, f"<= {TARGET_HEADERS_US:.0f}", cost <= TARGET_HEADERS_US)
    ]


def lines(data):
    b = data["breakdown"]
    c = b["cpu_us_per_request"]
    d, a, p = c["direct"], c["direct_with_nginx_headers"], c["proxied"]
    total_d, total_a = d["gunicorn"] + d["wrk"], a["gunicorn"] + a["wrk"]
    total_p = p["gunicorn"] + p["nginx"] + p["wrk"]
    per_round = ", ".join(f"{v:+.0f}" for v in b["headers_under_load_per_round"])
    out = [
        "",
        "cost breakdown under load, CPU us per request (median of the rounds):",
        f"  {'':<34}{'gunicorn':>9}{'nginx':>8}{'wrk':>6}{'all':>7}",
        f"  {'direct (TCP)':<34}{d['gunicorn']:>9.0f}{'-':>8}{d['wrk']:>6.0f}{total_d:>7.0f}",
        f"  {'direct + nginx headers':<34}{a['gunicorn']:>9.0f}{'-':>8}{a['wrk']:>6.0f}{total_a:>7.0f}",
        f"  {'through nginx (unix socket)':<34}{p['gunicorn']:>9.0f}{p['nginx']:>8.0f}{p['wrk']:>6.0f}{total_p:>7.0f}",
        f"  gunicorn behind nginx over direct: {b['gunicorn_extra_us']:+.0f} us, of which nginx's headers "
        f"{b['headers_under_load_us']:+.0f} us (rounds: {per_round})",
    ]
    if "headers_behind_nginx_us" in b:
        out.append(
            f"  behind the minimal nginx, its config's headers cost gunicorn {b['headers_behind_nginx_us']:+.0f} us "
            f"(rounds: {', '.join(f'{v:+.0f}' for v in b['headers_behind_nginx_per_round'])}) and "
            f"{1 - b['headers_behind_nginx_rate_ratio']:.0%} of the throughput"
        )
    rp = b["request_path"]
    bare = rp["cases"]["bare"]
    out += [
        "",
        f"gunicorn's Python path for one request, in one process (median of {rp['rounds']} rounds x "
        f"{rp['requests_per_round']} requests, cases alternating):",
        f"  {'case':<24}{'us':>7}{'cost':>8}   " + "".join(f"{s:>11}" for s in STAGES) + "   rounds (cost)",
    ]
    for name, case in rp["cases"].items():
        cost = "" if name == "bare" else f"{case['cost_us']:+.1f}"
        stages = "".join(
            f"{case['stages_us'][s] - (0 if name == 'bare' else bare['stages_us'][s]):>+11.1f}"
            if name != "bare"
            else f"{case['stages_us'][s]:>11.1f}"
            for s in STAGES
        )
        rounds = "" if name == "bare" else ", ".join(f"{v:+.1f}" for v in case["per_round"])
        out.append(f"  {name:<24}{case['us']:>7.1f}{cost:>8}   {stages}   {rounds}")
    out.append("  (bare: time per stage; other rows: the stage's difference to bare)")
    return out
