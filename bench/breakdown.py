"""Where a proxied request's CPU goes: nginx and gunicorn, direct and proxied, and what each
header that nginx adds costs gunicorn.

The direct request is sent again with each of nginx's headers alone, with all of them, and
with a padding header as long as X-Forwarded-Host (the control: what any header of that size
costs). A header's cost is gunicorn's CPU per request with it minus without it, taken in the
same round; the figure is the median of the rounds.
"""

import statistics

from .wrk import Scenario

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
    host = f"Host: {ctx.public}"
    groups = ctx.main.groups()
    headers = nginx_headers(ctx)
    rows = [Scenario(f"hdr_{name}", f"direct + {name}", ctx.direct_url, groups, headers=(host, line))
            for name, line in headers.items()]
    padding = "X-Padding: " + "x" * (len(headers["X-Forwarded-Host"]) - len("X-Padding: "))
    rows.append(Scenario("hdr_padding", "direct + X-Padding (control)", ctx.direct_url, groups, headers=(host, padding)))
    rows.append(Scenario("hdr_all", "direct + all of nginx's headers", ctx.direct_url, groups,
                         headers=(host, *headers.values())))
    return rows


def _delta(results, key, base="api_direct", who="gunicorn"):
    """Median over the rounds of (CPU per request with the header - without), same round."""
    deltas = [(r["cpu_us_per_request"][who] or 0) - (b["cpu_us_per_request"][who] or 0)
              for r, b in zip(results[key]["rounds"], results[base]["rounds"])]
    return round(statistics.median(deltas), 1), [round(d, 1) for d in deltas]


def report(ctx, results):
    direct, proxied, allh = results["api_direct"], results["api_proxied"], results["hdr_all"]
    headers = {}
    for key in [k for k in results if k.startswith("hdr_")]:
        cost, per_round = _delta(results, key)
        headers[key[4:]] = {"gunicorn_us": results[key]["cpu_us_per_request"]["gunicorn"], "cost_us": cost,
                            "per_round": per_round, "rate": results[key]["rate"]}
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
        "headers": headers,
    }


def targets(data):
    cost = data["breakdown"]["headers"]["all"]["cost_us"]
    return [("gunicorn-side cost of nginx's headers (us)", cost, f"<= {TARGET_HEADERS_US:.0f}", cost <= TARGET_HEADERS_US)]


def lines(data):
    b = data["breakdown"]
    c = b["cpu_us_per_request"]
    d, a, p = c["direct"], c["direct_with_nginx_headers"], c["proxied"]
    total_d, total_p = d["gunicorn"] + d["wrk"], p["gunicorn"] + p["nginx"] + p["wrk"]
    out = ["", "cost breakdown, CPU us per request (median of the rounds):",
           f"  {'':<34}{'gunicorn':>9}{'nginx':>8}{'wrk':>6}{'all':>7}",
           f"  {'direct (TCP)':<34}{d['gunicorn']:>9.0f}{'-':>8}{d['wrk']:>6.0f}{total_d:>7.0f}",
           f"  {'direct + nginx headers':<34}{a['gunicorn']:>9.0f}{'-':>8}{a['wrk']:>6.0f}{a['gunicorn'] + a['wrk']:>7.0f}",
           f"  {'through nginx (unix socket)':<34}{p['gunicorn']:>9.0f}{p['nginx']:>8.0f}{p['wrk']:>6.0f}{total_p:>7.0f}",
           f"  gunicorn behind nginx over direct: {b['gunicorn_extra_us']:+.0f} us; nginx itself {p['nginx']:.0f} us",
           "  gunicorn-side cost of each header (CPU with it - without, same round; median, and each round's):"]
    for name, h in b["headers"].items():
        out.append(f"    {name:<32}{h['cost_us']:>+7.1f} us   ({', '.join(f'{v:+.0f}' for v in h['per_round'])})")
    return out
