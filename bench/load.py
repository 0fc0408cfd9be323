"""The API straight from gunicorn and through nginx, the redirect round trip, static files.

All at the same load (wrk -t2 -c16, the CPU-bound hello route `/result`); they run in one pool
with the breakdown's and the fronts' scenarios, interleaved.
"""

import statistics

from .wrk import Scenario

TARGETS = {"proxied_direct_ratio": 0.90, "static_index_over_api": 10.0}


def scenarios(ctx):
    main, prefix, public = ctx.main, ctx.prefix, ctx.public
    groups = main.groups()
    gzip = ("Accept-Encoding: gzip",)
    return [
        Scenario("api_direct", "API direct (gunicorn, TCP)", ctx.direct_url, groups, headers=(f"Host: {public}",)),
        Scenario("api_proxied", "API through nginx", f"http://{public}{prefix}/result", groups),
        Scenario(
            "redirect",
            "redirect round trip (nginx)",
            f"http://{public}{prefix}/",
            groups,
            script="redirect",
            script_args=(f"{prefix}/", f"http://{public}{prefix}/result"),
            unit="round trips/s",
        ),
        Scenario("static_index", "static index.html (gzip)", f"http://{public}/", groups, headers=gzip),
        Scenario(
            "static_asset",
            f"static {ctx.asset.rsplit('/', 1)[-1]} (gzip)",
            f"http://{public}{ctx.asset}",
            groups,
            headers=gzip,
        ),
    ]


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def paired_ratio(num, den):
    """Median of the rounds' ratios: the two rows of a pair see the same machine, so this moves
    less with background load than the ratio of the medians."""
    pairs = [ratio(n["rate"], d["rate"]) for n, d in zip(num["rounds"], den["rounds"], strict=False)]
    return round(statistics.median(pairs), 3), pairs


def report(ctx, results):
    direct, proxied = results["api_direct"], results["api_proxied"]
    paired, pairs = paired_ratio(proxied, direct)
    cpu_d, cpu_p = direct["cpu_us_per_request"], proxied["cpu_us_per_request"]
    # What the CPU each request costs allows when the cores are the limit.
    ceiling = ratio(cpu_d["gunicorn"] + cpu_d["wrk"], cpu_p["gunicorn"] + cpu_p["nginx"] + cpu_p["wrk"])
    index = results["static_index"]["rate"]
    return {
        "api": {
            "direct_rps": direct["rate"],
            "proxied_rps": proxied["rate"],
            "proxied_over_direct": paired,
            "per_round": pairs,
            "cpu_bound_ceiling": ceiling,
        },
        "redirect": {
            "round_trips_per_s": results["redirect"]["rate"],
            "requests_per_s": results["redirect"].get("requests_per_s"),
            "wrong_answers": results["redirect"].get("redirect_wrong", 0),
        },
        "static": {
            "index_rps": index,
            "asset_rps": results["static_asset"]["rate"],
            "index_over_proxied_api": ratio(index, proxied["rate"]),
        },
    }


def targets(data):
    api, static = data["api"], data["static"]
    return [
        (
            "API through nginx / direct",
            api["proxied_over_direct"],
            f">= {TARGETS['proxied_direct_ratio']:.2f}",
            api["proxied_over_direct"] >= TARGETS["proxied_direct_ratio"],
        ),
        (
            "static index.html / API through nginx",
            static["index_over_proxied_api"],
            f">= {TARGETS['static_index_over_api']:.0f}x",
            (static["index_over_proxied_api"] or 0) >= TARGETS["static_index_over_api"],
        ),
    ]


def lines(data):
    """The pool's table: every scenario that ran interleaved at wrk -c16."""
    out = [
        f"{'scenario':<40}{'rate':>9}  {'unit':<14}{'min':>8}{'max':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"   {'CPU us per request':<24}{'other load':>11}",
        f"{'':<40}{'':>9}  {'':<14}{'':>8}{'':>8}{'':>8}{'':>8}{'':>7}   {'gunicorn  front    wrk':<24}{'(cores)':>11}",
    ]
    for r in data["pool"].values():
        cpu = r["cpu_us_per_request"]
        front = cpu.get("nginx", cpu.get("front", 0))
        out.append(
            f"{r['label']:<40}{r['rate']:>9,.0f}  {r['unit']:<14}{r['rate_min']:>8,.0f}{r['rate_max']:>8,.0f}"
            f"{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['non_2xx_3xx'] + r['socket_errors']:>7}"
            f"   {cpu.get('gunicorn', 0):>8.0f}{front:>7.0f}{cpu.get('wrk', 0):>7.0f}  {r['other_load_cores']:>11.2f}"
        )
    api, st, red = data["api"], data["static"], data["redirect"]
    out += [
        "",
        f"API through nginx / direct: {api['proxied_over_direct']:.2f} (median of the rounds' pairs "
        f"{', '.join(f'{r:.2f}' for r in api['per_round'])}); "
        f"the CPU per request allows {api['cpu_bound_ceiling']:.2f}",
        f"redirect /api/ -> Location -> 200: {red['round_trips_per_s']:,.0f} round trips/s "
        f"({red['requests_per_s']:,.0f} requests/s), wrong answers {red['wrong_answers']}",
        f"static index.html: {st['index_over_proxied_api']:.1f}x the API through nginx",
    ]
    return out
