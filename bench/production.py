"""The production path: HTTPS as `make https-local` serves it natively (nginx terminating TLS
itself, its config rendered from the one template with TLS_CERT and TLS_KEY), beside plain HTTP
to the stack's nginx; and the other TLS fronts, each in front of the same nginx and gunicorn:

* nginx-tls: what ships, this project's nginx with the TLS listener and HTTP/2 (no second proxy);
* caddy: Caddy in front of nginx, as `make https` ran it before (bench/fronts/Caddyfile, GOGC=400);
* caddy-gogc100, caddy-no-h3: the same Caddyfile with Caddy tuned otherwise (CADDY_VARIANTS);
* haproxy-tls: HAProxy terminating TLS in front of nginx, setting the headers nginx believes.

HTTP/1.1 with keep-alive by wrk, HTTP/2 by h2load (4 connections x 4 streams: 16 requests in
flight, as wrk's 16 connections), on the API's hello route and on index.html, interleaved in
one pool; then TLS handshakes per second, full and resumed (bench/handshake.py).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from functools import partial

from stack import https
from stack.access import set_nginx_worker_user
from support.processes import running
from support.tls_proxies import make_certificate

from . import procs
from .load import paired_ratio
from .stacks import ROOT, BenchStack, free_port
from .wrk import BenchError, Scenario, finish, interleave, probe, start_load

TARGETS = {"https_api_over_plain": 0.85}
CADDYFILE = ROOT / "bench" / "fronts" / "Caddyfile"
# Caddy as it shipped (GOGC=400: Go's garbage collector running when the heap has grown by
# 400 %), with Go's default (100), and without HTTP/3 (its QUIC listener and the Alt-Svc header).
CADDY_VARIANTS = {
    "caddy": {"global": "", "env": {"GOGC": "400"}},
    "caddy-gogc100": {"global": "", "env": {"GOGC": "100"}},
    "caddy-no-h3": {"global": "\tservers {\n\t\tprotocols h1 h2\n\t}\n", "env": {"GOGC": "400"}},
}
TUNED_CADDY = CADDY_VARIANTS["caddy-no-h3"]
# Handshakes: 2 clients at once (the machine's cores), each bench/handshake.py for the seconds given.
HANDSHAKE_CLIENTS = 2
SHIPPED = "nginx-tls"


class ProductionStack(BenchStack):
    """gunicorn + nginx, quiet, on free ports: plain HTTP on HTTP_PORT, the baseline and what
    the fronts that proxy connect to (from 127.0.0.1, which it trusts, as it trusted Caddy);
    nginx-tls is the same template rendered as make https renders it (nginx_tls)."""

    def __init__(self, name, settings):
        super().__init__(name, {**settings, "TRUSTED_PROXIES": "127.0.0.1"})


# ---- the fronts, each given (folder, port, stack, certificate folder) ----------------------------
def tuned_caddyfile(text, tuning=TUNED_CADDY):
    """The Caddyfile with the tuning's global options added to its global block."""
    head, sep, rest = text.partition("{\n")
    if not sep:
        raise BenchError(f"{CADDYFILE} has no global options block")
    return head + sep + tuning["global"] + rest


@contextmanager
def caddy_variant(folder, port, stack, certs, tuning=TUNED_CADDY):
    """The Caddyfile, tuned, for localhost with Caddy's own CA (as make https-local ran it)."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "Caddyfile"
    conf.write_text(tuned_caddyfile(CADDYFILE.read_text(), tuning))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "DOMAIN": https.LOCAL_DOMAIN,
        "CADDY_HTTPS_PORT": str(port),
        "CADDY_HTTP_PORT": str(free_port()),
        "CADDY_UPSTREAM": f"127.0.0.1:{stack.port}",
        **tuning["env"],
    }
    cmd = ["caddy", "run", "--config", str(conf), "--adapter", "caddyfile"]
    with running(cmd, port=port, env=env, log=folder / "caddy.log") as proc:
        yield proc


# nginx closes a connection after keepalive_requests (1000, HTTP/2 too) and browsers open another;
# h2load does not, so for the bench alone the limit is raised.
BENCH_ONLY = "    keepalive_requests 100000;\n"


def nginx_tls_conf(stack, folder, port, certs):
    """The stack's nginx rendered again, as make https renders it (the one template with TLS_CERT
    and TLS_KEY, nginx/tls-watch.sh's state), for a second nginx in `folder` that listens with
    TLS and HTTP/2 on `port` and proxies to the same gunicorn."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **stack._child_env(),
        "NGINX_RUN_DIR": str(folder),
        "NGINX_ACCESS_LOG": str(folder / "access.log"),
        "TLS_CERT": str(certs / "cert.pem"),
        "TLS_KEY": str(certs / "key.pem"),
        "NGINX_TLS_STATE": str(folder / "tls-certificate.conf"),
        "NGINX_TLS_LISTEN_PORT": str(port),
        "NGINX_REDIRECT_LISTEN_PORT": str(free_port()),
        "NGINX_LISTEN_ADDRESS": "127.0.0.1",
        "HTTPS_PORT": str(port),
        # At the edge, as shipped: make https refuses TRUSTED_PROXIES.
        "TRUSTED_PROXIES": "",
    }
    for script in (["sh", str(ROOT / "nginx" / "render.sh")], ["sh", str(ROOT / "nginx" / "tls-watch.sh"), "--once"]):
        done = subprocess.run(script, env=env, capture_output=True, text=True)
        if done.returncode:
            raise BenchError(f"{' '.join(script[1:])} failed for nginx-tls: {done.stderr.strip()}")
    # Its workers must read the checkout as the stack's do (root when the checkout is shut to nobody).
    set_nginx_worker_user(folder / "nginx.conf")
    site = folder / "conf.d" / "default.conf"
    text, count = re.subn(r"^(    server_name _;\n)", r"\1" + BENCH_ONLY, site.read_text(), count=1, flags=re.M)
    if not count:
        raise BenchError(f"cannot raise keepalive_requests in {site}: its server_name line moved")
    site.write_text(text)
    return folder / "nginx.conf"


@contextmanager
def nginx_tls(folder, port, stack, certs):
    conf = nginx_tls_conf(stack, folder, port, certs)
    cmd = ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"), "-g", "daemon off;"]
    with running(cmd, port=port) as proc:
        yield proc


def haproxy_tls_cfg(port, redirect_port, upstream_port, certs):
    """HAProxy terminating TLS (h2 by ALPN, tickets on by default) with what Caddy does: the 308
    from http, the forwarded headers nginx believes set or removed, no Server header."""
    return f"""global
    maxconn 4096
    ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend redirect
    bind 127.0.0.1:{redirect_port}
    http-request redirect scheme https code 308
frontend public
    bind 127.0.0.1:{port} ssl crt {certs}/both.pem alpn h2,http/1.1
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-For %[src]
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request del-header X-Forwarded-Port
    http-request del-header X-Forwarded-Prefix
    http-request del-header X-Request-ID
    http-response del-header Server
    default_backend nginx
backend nginx
    server nginx 127.0.0.1:{upstream_port}
"""


@contextmanager
def haproxy_tls(folder, port, stack, certs):
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "haproxy.cfg"
    cfg.write_text(haproxy_tls_cfg(port, free_port(), stack.port, certs))
    with running(["haproxy", "-f", str(cfg), "-db"], port=port) as proc:
        yield proc


OPTIONS = {
    SHIPPED: nginx_tls,
    **{name: partial(caddy_variant, tuning=tuning) for name, tuning in CADDY_VARIANTS.items()},
    "haproxy-tls": haproxy_tls,
}


class Production:
    """The stack, its TLS fronts and their process groups."""

    def __init__(self, stack, fronts):
        self.stack = stack
        self.fronts = fronts  # name -> (port, {process name: pgid})


def start(ctx, exits: ExitStack):
    stack = ProductionStack("bench-https", ctx.base)
    exits.callback(stack.cleanup)
    ctx.log("production path: the stack as make https-local runs it, and the other TLS fronts ...")
    stack.start()
    ctx.extra_stacks.append(stack)
    groups = stack.groups()
    certs = ctx.work / "tls-cert"
    certs.mkdir(parents=True, exist_ok=True)
    make_certificate(certs)
    fronts = {}
    for name, front in OPTIONS.items():
        port = free_port()
        proc = exits.enter_context(front(ctx.work / f"tls-{name}", port, stack, certs))
        names = {"front": proc.pid} if name == SHIPPED else {"front": proc.pid, "nginx": groups["nginx"]}
        fronts[name] = (port, names)
        ctx.extra_pgids.append(proc.pid)
    for _, names in fronts.values():
        names["gunicorn"] = groups["gunicorn"]
    return Production(stack, fronts)


ROUTES = {"api": "{prefix}/result", "index": "/"}
GZIP = ("Accept-Encoding: gzip",)


def scenarios(ctx, prod):
    plain = f"127.0.0.1:{prod.stack.port}"
    groups = {"nginx": prod.stack.groups()["nginx"], "gunicorn": prod.stack.groups()["gunicorn"]}
    rows = []
    for route, path in ROUTES.items():
        path = path.format(prefix=ctx.prefix)
        headers = GZIP if route == "index" else ()
        rows.append(
            Scenario(
                f"prod_plain_{route}", f"plain HTTP to nginx, {route}", f"http://{plain}{path}", groups, headers=headers
            )
        )
        for name, (port, names) in prod.fronts.items():
            url = f"https://{https.LOCAL_DOMAIN}:{port}{path}"
            rows.append(Scenario(f"prod_{name}_h1_{route}", f"{name} h1, {route}", url, names, headers=headers))
            rows.append(
                Scenario(
                    f"prod_{name}_h2_{route}",
                    f"{name} h2, {route}",
                    url,
                    names,
                    headers=headers,
                    tool="h2load",
                    connections=4,
                    streams=4,
                )
            )
    return rows


def front_rss(scenario):
    """What to sample halfway through a round: the RSS (MiB) of the front's processes."""
    pgid = scenario.groups.get("front")
    if pgid is None:
        return None
    return lambda: round(sum(row["rss_mib"] for row in procs.group_rss("front", pgid)), 1)


# ---- handshakes ---------------------------------------------------------------------------------
def handshake_command(port, seconds, mode):
    return [sys.executable, str(ROOT / "bench" / "handshake.py"), str(port), https.LOCAL_DOMAIN, mode, str(seconds)]


def parse_handshake(out):
    """The JSON line bench.handshake prints, or None."""
    for line in out.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return None


def handshake_round(ctx, port, names, seconds, mode):
    """HANDSHAKE_CLIENTS clients at once; handshakes per second and the front's CPU per one."""
    pgids = set(names.values())
    t0 = procs.group_ticks(pgids)
    started = time.monotonic()
    clients = [start_load(handshake_command(port, seconds, mode), seconds)[0] for _ in range(HANDSHAKE_CLIENTS)]
    counts = {"connections": 0, "resumed": 0, "errors": 0}
    for client in clients:
        out, err = finish(client, seconds, f"bench.handshake {mode}")
        got = parse_handshake(out)
        if got is None:
            raise BenchError(f"bench.handshake {mode} against :{port} gave no count:\n{(out + err)[-400:]}")
        for key in counts:
            counts[key] += got[key]
    wall = time.monotonic() - started
    t1 = procs.group_ticks(pgids)
    total = counts["connections"]
    front = (t1[names["front"]] - t0[names["front"]]) / procs.CLK_TCK
    return {
        "rate": round(total / wall, 1),
        **counts,
        "front_cpu_us": round(front * 1e6 / total, 1) if total else None,
    }


def handshakes(ctx, prod, rounds, seconds):
    rows = {name: {"new": [], "reuse": []} for name in prod.fronts}
    order = list(prod.fronts.items())
    for number in range(rounds):
        for name, (port, names) in order if number % 2 == 0 else order[::-1]:
            for mode in ("new", "reuse"):
                row = handshake_round(ctx, port, names, seconds, mode)
                rows[name][mode].append(row)
                ctx.log(f"  round {number + 1}: {name} handshakes ({mode}): {row['rate']:,.0f}/s")
    return {
        name: {
            mode: {
                "rate": round(statistics.median(r["rate"] for r in runs), 1),
                "front_cpu_us": round(statistics.median(r["front_cpu_us"] or 0 for r in runs), 1),
                "resumed_share": round(
                    sum(r["resumed"] for r in runs) / max(sum(r["connections"] for r in runs), 1), 3
                ),
                "errors": sum(r["errors"] for r in runs),
                "rounds": runs,
            }
            for mode, runs in modes.items()
        }
        for name, modes in rows.items()
    }


# ---- report -----------------------------------------------------------------------------------
def report(ctx, prod, results, shakes):
    rows = {}
    for name in prod.fronts:
        for proto in ("h1", "h2"):
            for route in ROUTES:
                r = results[f"prod_{name}_{proto}_{route}"]
                plain = results[f"prod_plain_{route}"]
                cpu = r["cpu_us_per_request"]
                paired, pairs = paired_ratio(r, plain)
                rows[f"{name} {proto} {route}"] = {
                    "front": name,
                    "protocol": proto,
                    "route": route,
                    "rate": r["rate"],
                    "p50_ms": r["p50_ms"],
                    "p99_ms": r["p99_ms"],
                    "front_cpu_us": cpu["front"],
                    "nginx_cpu_us": cpu.get("nginx"),
                    "gunicorn_cpu_us": cpu["gunicorn"] if route == "api" else None,
                    "client_cpu_us": cpu["wrk"],
                    "front_rss_mib": max((x["sampled"] for x in r["rounds"] if x.get("sampled")), default=None),
                    "over_plain": paired,
                    "over_plain_per_round": pairs,
                    "errors": r["non_2xx_3xx"] + r["socket_errors"],
                }
    plain = {}
    for route in ROUTES:
        r = results[f"prod_plain_{route}"]
        cpu = r["cpu_us_per_request"]
        plain[route] = {
            "rate": r["rate"],
            "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"],
            "nginx_cpu_us": cpu["nginx"],
            "gunicorn_cpu_us": cpu["gunicorn"] if route == "api" else None,
            "client_cpu_us": cpu["wrk"],
            "errors": r["non_2xx_3xx"] + r["socket_errors"],
        }
    return {
        "production": {
            "other_load_cores": round(statistics.mean(r["other_load_cores"] for r in results.values()), 2),
            "plain": plain,
            "rows": rows,
            "handshakes": shakes,
            "load": "h1: wrk -t2 -c16 (keep-alive); h2: h2load -t2 -c4 -m4 (16 streams in flight)",
            "handshake_clients": HANDSHAKE_CLIENTS,
            "caddy_variants": CADDY_VARIANTS,
            "api_route": f"{ctx.prefix}/result",
        }
    }


def targets(data):
    rows = data["production"]["rows"]
    out = []
    for name in dict.fromkeys(r["front"] for r in rows.values()):
        api = rows[f"{name} h1 api"]
        out.append(
            (
                f"HTTPS API via {name} (h1) / plain HTTP to nginx",
                api["over_plain"],
                f">= {TARGETS['https_api_over_plain']:.2f}",
                api["over_plain"] >= TARGETS["https_api_over_plain"],
            )
        )
        plain_nginx = data["production"]["plain"]["api"]["nginx_cpu_us"]
        out.append(
            (
                f"{name}: TLS front CPU us/req (h1 API) <= nginx's",
                api["front_cpu_us"],
                f"<= {plain_nginx:.0f}",
                api["front_cpu_us"] <= plain_nginx,
            )
        )
    return out


def errors(data):
    prod = data.get("production", {})
    shakes = [m["errors"] for modes in prod.get("handshakes", {}).values() for m in modes.values()]
    return (
        sum(r["errors"] for r in prod.get("rows", {}).values())
        + sum(r["errors"] for r in prod.get("plain", {}).values())
        + sum(shakes)
    )


def _us(value):
    return "-" if value is None else f"{value:.0f}"


def lines(data):
    p = data["production"]
    out = [
        "",
        f"the production path: HTTPS through each TLS front to nginx and gunicorn, beside plain HTTP to the "
        f"same nginx ({p['load']}; API = {p['api_route']}, index = / (index.html, gzip); other load "
        f"{p.get('other_load_cores', 0):.2f} cores):",
        f"  {'path':<24}{'req/s':>9}{'/plain':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'CPU us/req: front':>19}{'nginx':>7}{'gunicorn':>9}{'client':>8}{'errors':>8}{'front MiB':>11}",
    ]
    for route in ROUTES:
        r = p["plain"][route]
        out.append(
            f"  {'plain http ' + route:<24}{r['rate']:>9,.0f}{'1.00':>8}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}"
            f"{'-':>19}{_us(r['nginx_cpu_us']):>7}{_us(r['gunicorn_cpu_us']):>9}{_us(r['client_cpu_us']):>8}"
            f"{r['errors']:>8}"
        )
    for label, r in sorted(p["rows"].items(), key=lambda kv: (kv[1]["route"], kv[0])):
        out.append(
            f"  {label:<24}{r['rate']:>9,.0f}{r['over_plain']:>8.2f}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}"
            f"{_us(r['front_cpu_us']):>19}{_us(r['nginx_cpu_us']):>7}{_us(r['gunicorn_cpu_us']):>9}"
            f"{_us(r['client_cpu_us']):>8}{r['errors']:>8}{_us(r.get('front_rss_mib')):>11}"
        )
    out += [
        f"  new TLS connections per second, each a handshake and one request for index.html "
        f"({p['handshake_clients']} clients at once), and the front's CPU us per connection:",
    ]
    for name, modes in p["handshakes"].items():
        new, reuse = modes["new"], modes["reuse"]
        out.append(
            f"    {name:<14} full {new['rate']:>7,.0f}/s ({_us(new['front_cpu_us'])} us)   "
            f"resumed {reuse['rate']:>7,.0f}/s ({_us(reuse['front_cpu_us'])} us, "
            f"{reuse['resumed_share']:.0%} resumed)"
        )
    return out


def run(ctx):
    """Start the production stack and the fronts, run the pool and the handshakes; the data."""
    args = ctx.args
    with ExitStack() as exits:
        prod = start(ctx, exits)
        pool = scenarios(ctx, prod)
        for scenario in pool:
            status = probe(scenario)
            if not 200 <= status < 400:
                raise BenchError(f"{scenario.label}: {scenario.url} answers {status}, not 2xx/3xx")
        total = args.rounds * len(pool) * args.seconds
        ctx.log(
            f"production path: {len(pool)} scenarios x {args.rounds} rounds x {args.seconds} s (about {total} s) ..."
        )
        results = {s["key"]: s for s in interleave(ctx, pool, args.rounds, args.seconds, args.warmup, during=front_rss)}
        ctx.log("production path: TLS handshakes ...")
        shakes = handshakes(ctx, prod, args.rounds, args.seconds)
        data = report(ctx, prod, results, shakes)
        ctx.extra_stacks.remove(prod.stack)
        for _, names in prod.fronts.values():
            for pgid in names.values():
                if pgid in ctx.extra_pgids:
                    ctx.extra_pgids.remove(pgid)
        return data
