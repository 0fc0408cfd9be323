"""make bench: throughput, latency, page weight and start-up time of the native stack.

Starts the native stack (NativeStack, quiet, on free loopback ports) and measures with wrk, in
one run with interleaved rounds so that drift of the machine hits every scenario alike:

  * the API (/api/result) straight from gunicorn (TCP) and through nginx (unix socket behind);
  * the redirect round trip through nginx (/api/, then the Location it answers);
  * static files through nginx: index.html and the main hashed JS asset, gzip accepted;
  * the API through nginx with 1, 2 and 4 gunicorn workers (one stack each);

and without load: the compressed bytes of HTML, JS and CSS a first visit loads, the bytes a
second visit fetches again under the Cache-Control headers, and the seconds from
`python -m stack up` to the first 200 on /api/health. It prints a table and writes JSON to
bench/results/latest.json. A number never fails the run: the exit status is non-zero only when
the bench itself could not run (a program missing, a stack that does not start).

  usage: .venv/bin/python bench/run.py [--rounds 3] [--seconds 5] ...   (see --help)
"""

import argparse
import gzip
import html.parser
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stack import frontend  # noqa: E402
from stack.env import SETTING_NAMES  # noqa: E402
from stack.errors import StackError  # noqa: E402
from stack.native import RUN_ROOT, NativeStack, free_port  # noqa: E402

BENCH = ROOT / "bench"
WORK = RUN_ROOT / "bench"
DEFAULT_OUT = BENCH / "results" / "latest.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCALE_WORKERS = (1, 2, 4)
# Settings the bench chooses itself; every other stack setting set in the shell is passed on.
OWN_SETTINGS = ("STACK", "HTTP_PORT", "API_BIND")

TARGETS = {
    "proxied_direct_ratio": 0.90,
    "static_index_over_api": 10.0,
    "first_load_bytes": 60_000,
    "non_2xx_3xx": 0,
}


class BenchError(Exception):
    """The bench could not run (as opposed to a number that misses its target)."""


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---- CPU accounting -------------------------------------------------------------------------
def group_ticks(pgids):
    """CPU ticks (user + system) of every process in each process group."""
    totals = dict.fromkeys(pgids, 0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pgrp = int(fields[2])
        if pgrp in totals:
            totals[pgrp] += int(fields[11]) + int(fields[12])
    return totals


def system_busy_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle


def child_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- wrk ------------------------------------------------------------------------------------
def lua_scripts():
    """wrk takes one script: each one here is its own part followed by the shared report."""
    WORK.mkdir(parents=True, exist_ok=True)
    report = (BENCH / "lua" / "report.lua").read_text()
    plain = WORK / "plain.lua"
    plain.write_text(report)
    redirect = WORK / "redirect.lua"
    redirect.write_text((BENCH / "lua" / "redirect.lua").read_text() + "\n" + report)
    return {"plain": plain, "redirect": redirect}


def run_wrk(url, seconds, threads, connections, headers=(), script=None, script_args=()):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
           "-s", str(script)]
    for header in headers:
        cmd += ["-H", header]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {seconds + 30} s: {' '.join(cmd)}") from None
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise BenchError(f"wrk gave no result (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")


class Scenario:
    def __init__(self, key, label, stack, url, headers=(), script="plain", script_args=(), unit="req/s"):
        self.key = key
        self.label = label
        self.stack = stack
        self.url = url
        self.headers = tuple(headers)
        self.script = script
        self.script_args = tuple(script_args)
        self.unit = unit
        self.rounds = []
        self.warmup = None


def measure(scenario, seconds, args, scripts, stacks, record=True):
    """Run wrk once for the scenario; note its rate, latency, errors and who used the CPU."""
    pgids = [pid for stack in stacks for pid in stack.pids().values()]
    own = scenario.stack.pids()
    ticks0, busy0, child0, self0 = group_ticks(pgids), system_busy_ticks(), child_cpu_seconds(), self_cpu_seconds()
    started = time.monotonic()
    result = run_wrk(scenario.url, seconds, args.threads, args.connections, scenario.headers,
                     scripts[scenario.script], scenario.script_args)
    wall = time.monotonic() - started
    ticks1, busy1, child1, self1 = group_ticks(pgids), system_busy_ticks(), child_cpu_seconds(), self_cpu_seconds()

    duration = result["duration_us"] / 1e6
    requests = result["requests"]
    cpu = {name: (ticks1[pid] - ticks0[pid]) / CLK_TCK for name, pid in own.items()}
    cpu["wrk"] = child1 - child0
    stacks_cpu = sum(ticks1[pid] - ticks0[pid] for pid in pgids) / CLK_TCK
    other = (busy1 - busy0) / CLK_TCK - stacks_cpu - cpu["wrk"] - (self1 - self0)
    errors = result["errors"]
    row = {
        "rate": requests / duration if duration else 0.0,
        "requests": requests,
        "seconds": round(duration, 3),
        "latency_ms": {k: round(v / 1000, 3) for k, v in result["latency_us"].items()},
        "non_2xx_3xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "cpu_us_per_request": {k: round(v * 1e6 / requests, 1) if requests else None for k, v in cpu.items()},
        "other_load_cores": round(max(other, 0.0) / wall, 2),
    }
    if "redirect" in result:
        counts = result["redirect"]
        row["redirect"] = counts
        # A round trip is complete when its second request (the Location) answered 200.
        row["rate"] = counts["arrivals"] / duration if duration else 0.0
        row["requests_per_s"] = round(requests / duration, 1) if duration else 0.0
    row["rate"] = round(row["rate"], 1)
    if record:
        scenario.rounds.append(row)
    else:
        scenario.warmup = row
    return row


# ---- page weight ----------------------------------------------------------------------------
class _AssetLinks(html.parser.HTMLParser):
    """The scripts, stylesheets and module preloads that index.html links."""

    def __init__(self):
        super().__init__()
        self.paths = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.paths.append(("js", attrs["src"]))
        elif tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower().split()
            if "stylesheet" in rel:
                self.paths.append(("css", attrs["href"]))
            elif "modulepreload" in rel:
                self.paths.append(("js", attrs["href"]))


def fetch(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
        response = conn.getresponse()
        body = response.read()  # http.client does not decode: these are the bytes on the wire
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2 + sum(
            len(k) + len(v) + 4 for k, v in response.getheaders())
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), body, head
    finally:
        conn.close()


def cache_directives(value):
    directives = {}
    for part in (value or "").split(","):
        name, _, arg = part.strip().partition("=")
        if name:
            directives[name.lower()] = arg.strip('"')
    return directives


def fetched_again(cache_control):
    """The revalidation model: no-cache/no-store (or no freshness) is fetched again on the
    next visit; a positive max-age (immutable or not) is served from the browser's cache."""
    d = cache_directives(cache_control)
    if "no-cache" in d or "no-store" in d:
        return True
    max_age = d.get("max-age", "")
    return not (max_age.isdigit() and int(max_age) > 0)


def page_weight(port):
    status, headers, body, head = fetch(port, "/")
    if status != 200:
        raise BenchError(f"GET / answered {status}, not 200")
    parser = _AssetLinks()
    text = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    parser.feed(text.decode("utf-8", "replace"))
    resources = [("html", "/", status, headers, body, head)]
    for kind, path in parser.paths:
        if not path.startswith("/") or path.startswith("//"):
            continue  # another origin: not served by this stack
        resources.append((kind, path, *fetch(port, path)))
    rows, errors = [], 0
    for kind, path, status, headers, body, head in resources:
        again = fetched_again(headers.get("cache-control"))
        row = {
            "path": path, "kind": kind, "status": status,
            "content_encoding": headers.get("content-encoding", "identity"),
            "bytes": len(body), "header_bytes": head,
            "cache_control": headers.get("cache-control", ""),
            "second_visit": "fetched again" if again else "from cache",
        }
        if again:
            # What a browser sends for a no-cache resource it holds: a conditional request.
            cond = {}
            if headers.get("etag"):
                cond["If-None-Match"] = headers["etag"]
            if headers.get("last-modified"):
                cond["If-Modified-Since"] = headers["last-modified"]
            c_status, _, c_body, c_head = fetch(port, path, cond)
            row["revalidation"] = {"status": c_status, "bytes": len(c_body), "header_bytes": c_head}
        if not 200 <= status < 400:
            errors += 1
        rows.append(row)
    again_rows = [r for r in rows if r["second_visit"] == "fetched again"]
    return {
        "resources": rows,
        "first_load_bytes": sum(r["bytes"] for r in rows),
        "first_load_bytes_with_headers": sum(r["bytes"] + r["header_bytes"] for r in rows),
        "second_visit": {
            "fetched_again": [r["path"] for r in again_rows],
            "bytes": sum(r["bytes"] for r in again_rows),
            "bytes_if_revalidated": sum(r["revalidation"]["bytes"] for r in again_rows),
        },
        "non_2xx_3xx": errors,
    }


# ---- cold start -----------------------------------------------------------------------------
def cold_start(base_settings, runs, prefix, timeout=60):
    """Seconds from starting `python -m stack up` (native) to the first 200 on /api/health.

    Its own folder under .run/ (--name), so a `make up` running beside it is left alone."""
    starts, stops = [], []
    for number in range(runs):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        env.update(base_settings, STACK="native", HTTP_PORT=str(port))
        url = f"http://127.0.0.1:{port}{prefix}/health"
        with open(WORK / f"cold-start-{number}.log", "wb") as out:
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "stack", "up", "--name", "bench-cold-start"], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                elapsed = None
                while time.monotonic() - started < timeout and proc.poll() is None:
                    try:
                        with urllib.request.urlopen(url, timeout=1) as response:
                            if response.status == 200:
                                elapsed = time.monotonic() - started
                                break
                    except (OSError, urllib.error.HTTPError):
                        pass
                    time.sleep(0.02)
                if elapsed is None:
                    raise BenchError(f"`python -m stack up` gave no 200 on {url} within {timeout} s "
                                     f"(exit {proc.poll()}); see {out.name}")
                starts.append(round(elapsed, 3))
            finally:
                stop_started = time.monotonic()
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                stops.append(round(time.monotonic() - stop_started, 3))
    return {"runs_s": starts, "median_s": round(statistics.median(starts), 3),
            "stop_runs_s": stops, "stop_median_s": round(statistics.median(stops), 3)}


# ---- the stacks -----------------------------------------------------------------------------
def base_settings():
    """The stack settings set in the shell (never .env), minus the ones the bench sets."""
    return {k: os.environ[k] for k in SETTING_NAMES if os.environ.get(k) and k not in OWN_SETTINGS}


def new_stack(name, settings, tcp_port=None):
    run_dir = RUN_ROOT / name
    for stale in ("access.log", "error.log", "gunicorn.log"):
        (run_dir / stale).unlink(missing_ok=True)
    stack = NativeStack({**settings, "HTTP_PORT": str(free_port()), "GUNICORN_CMD_ARGS": ""},
                        name=name, quiet=True, build=False)
    if tcp_port:
        # gunicorn listens on both: the unix socket nginx uses, and TCP for wrk ("direct").
        stack.settings["GUNICORN_CMD_ARGS"] = f"--bind {stack.api_bind} --bind 127.0.0.1:{tcp_port}"
    return stack


def gunicorn_effective(settings):
    """worker_class, workers and threads as backend/gunicorn.conf.py computes them."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(settings)
    code = ("import json, runpy; ns = runpy.run_path('backend/gunicorn.conf.py'); "
            "print(json.dumps({k: ns[k] for k in ('worker_class', 'workers', 'threads', 'keepalive')}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (proc.stderr or proc.stdout).strip()[-300:]}


def probe(scenario):
    """One request before the load, so a wrong URL shows up as a message, not as numbers."""
    parts = urlsplit(scenario.url)
    headers = dict(h.split(": ", 1) for h in scenario.headers)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Content-Encoding", "identity")
    finally:
        conn.close()


def tool_version(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0] if text else None


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    try:
        import gunicorn
        gunicorn_version = gunicorn.__version__
    except ImportError:
        gunicorn_version = None
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": tool_version(["nginx", "-v"]),
        "wrk": (tool_version(["wrk", "--version"]) or "").split(" Copyright")[0] or None,
        "gunicorn": gunicorn_version,
        "node": tool_version(["node", "--version"]),
    }


# ---- the run --------------------------------------------------------------------------------
def summarise(scenario):
    rounds = scenario.rounds
    rates = [r["rate"] for r in rounds]
    out = {
        "label": scenario.label,
        "url": scenario.url,
        "headers": list(scenario.headers),
        "unit": scenario.unit,
        "rate": round(statistics.median(rates), 1),
        "rate_min": min(rates),
        "rate_max": max(rates),
        "p50_ms": round(statistics.median(r["latency_ms"]["p50"] for r in rounds), 3),
        "p99_ms": round(statistics.median(r["latency_ms"]["p99"] for r in rounds), 3),
        "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
        "cpu_us_per_request": {
            name: round(statistics.median(r["cpu_us_per_request"][name] or 0 for r in rounds), 1)
            for name in rounds[0]["cpu_us_per_request"]
        },
        "other_load_cores": round(statistics.mean(r["other_load_cores"] for r in rounds), 2),
        "rounds": rounds,
        "warmup": scenario.warmup,
    }
    if "requests_per_s" in rounds[0]:
        out["requests_per_s"] = round(statistics.median(r["requests_per_s"] for r in rounds), 1)
        out["redirect_wrong"] = sum(r["redirect"]["wrong"] for r in rounds)
    return out


def run(args):
    missing = [p for p in ("wrk", "nginx", "envsubst") if shutil.which(p) is None]
    if missing:
        raise BenchError(f"missing program(s): {', '.join(missing)}. `make bench` installs them as root "
                         f"(Debian: apt-get install {' '.join({'envsubst': 'gettext-base'}.get(p, p) for p in missing)}).")
    if args.connections < args.threads:
        raise BenchError("--connections must be at least --threads (wrk's rule)")
    base = base_settings()
    prefix = base.get("API_PREFIX", "/api")
    WORK.mkdir(parents=True, exist_ok=True)
    log("building the frontend if it changed ...")
    frontend.build({**base, "API_PREFIX": prefix})
    scripts = lua_scripts()

    if args.cold_starts:
        log(f"cold start: `python -m stack up` to the first 200 on {prefix}/health, {args.cold_starts} times ...")
        cold = cold_start(base, args.cold_starts, prefix)
    else:
        cold = {"skipped": "--cold-starts 0"}

    stacks = []
    try:
        tcp_port = free_port()
        main = new_stack("bench-main", base, tcp_port=tcp_port)
        stacks.append(main)
        log(f"starting the stack (nginx :{main.port}, gunicorn also on :{tcp_port}) ...")
        main.start()
        scale = {}
        for workers in SCALE_WORKERS:
            stack = new_stack(f"bench-w{workers}", {**base, "WEB_CONCURRENCY": str(workers)})
            log(f"starting the stack with WEB_CONCURRENCY={workers} (nginx :{stack.port}) ...")
            stacks.append(stack.start())
            scale[workers] = stack

        log("page weight: first and second visit ...")
        weight = page_weight(main.port)
        scripts_linked = [r for r in weight["resources"] if r["kind"] == "js"]
        if not scripts_linked:
            raise BenchError("index.html links no JS asset")
        asset = max(scripts_linked, key=lambda r: r["bytes"])["path"]  # the biggest one

        public = f"127.0.0.1:{main.port}"
        accept_gzip = ("Accept-Encoding: gzip",)
        scenarios = [
            Scenario("api_direct", "API direct (gunicorn, TCP)", main,
                     f"http://127.0.0.1:{tcp_port}{prefix}/result", headers=(f"Host: {public}",)),
            # The same request with the headers nginx adds: it splits nginx's price into the hop
            # itself and gunicorn parsing nginx's headers.
            Scenario("api_direct_fwd", "API direct + nginx's X-Forwarded-*", main,
                     f"http://127.0.0.1:{tcp_port}{prefix}/result", headers=(
                         f"Host: {public}", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: http",
                         f"X-Forwarded-Host: {public}", f"X-Forwarded-Port: {main.port}",
                         f"X-Forwarded-Prefix: {prefix}", "X-Request-ID: 0123456789abcdef0123456789abcdef")),
            Scenario("api_proxied", "API through nginx", main, f"http://{public}{prefix}/result"),
            Scenario("redirect", "redirect round trip (nginx)", main, f"http://{public}{prefix}/",
                     script="redirect", script_args=(f"{prefix}/", f"http://{public}{prefix}/result"),
                     unit="round trips/s"),
            Scenario("static_index", "static index.html (gzip)", main, f"http://{public}/", headers=accept_gzip),
            Scenario("static_asset", f"static {asset.rsplit('/', 1)[-1]} (gzip)", main,
                     f"http://{public}{asset}", headers=accept_gzip),
        ]
        for workers, stack in scale.items():
            scenarios.append(Scenario(f"api_workers_{workers}", f"API through nginx, {workers} worker{'s' * (workers > 1)}",
                                      stack, f"http://127.0.0.1:{stack.port}{prefix}/result"))

        probes = {}
        for scenario in scenarios:
            status, encoding = probe(scenario)
            probes[scenario.key] = {"status": status, "content_encoding": encoding}
            if not 200 <= status < 400:
                log(f"warning: {scenario.label}: {scenario.url} answers {status}")

        log(f"warm-up: {args.warmup} s per scenario ...")
        for scenario in scenarios:
            measure(scenario, args.warmup, args, scripts, stacks, record=False)
        total = args.rounds * len(scenarios) * args.seconds
        log(f"{args.rounds} rounds x {len(scenarios)} scenarios x {args.seconds} s (about {total // 60} min {total % 60} s), "
            f"wrk -t{args.threads} -c{args.connections} ...")
        for number in range(args.rounds):
            # Every other round runs backwards (A B C, C B A, ...): steady drift cancels out.
            order = scenarios if number % 2 == 0 else scenarios[::-1]
            for scenario in order:
                row = measure(scenario, args.seconds, args, scripts, stacks)
                log(f"  round {number + 1}: {scenario.label}: {row['rate']:.0f} {scenario.unit}")
        gunicorn_main = gunicorn_effective({**main.settings})
    finally:
        for stack in stacks:
            stack.stop()
        for stack in stacks:
            # Each round leaves a few hundred MB of access log lines; nobody reads them.
            stack.log_path("access").unlink(missing_ok=True)

    return report(args, base, scenarios, probes, weight, cold, gunicorn_main)


def ratio(a, b):
    return round(a / b, 3) if b else None


def report(args, base, scenarios, probes, weight, cold, gunicorn_main):
    results = {key: summarise(s) for key, s in ((s.key, s) for s in scenarios)}
    direct, proxied = results["api_direct"]["rate"], results["api_proxied"]["rate"]
    # Direct and proxied run back to back in every round: the ratio of each pair sees the same
    # machine, so its median moves less with background load than the ratio of the medians.
    pairs = [ratio(p["rate"], d["rate"]) for d, p in zip(results["api_direct"]["rounds"], results["api_proxied"]["rounds"])]
    paired = round(statistics.median(pairs), 3)
    # What the CPU each request costs allows when the cores are the limit: (gunicorn + wrk)
    # direct over (gunicorn + nginx + wrk) proxied. Background load does not enter it.
    cpu_d, cpu_p = results["api_direct"]["cpu_us_per_request"], results["api_proxied"]["cpu_us_per_request"]
    ceiling = ratio(cpu_d["gunicorn"] + cpu_d["wrk"], cpu_p["gunicorn"] + cpu_p["nginx"] + cpu_p["wrk"])
    index = results["static_index"]["rate"]
    non_2xx = (sum(r["non_2xx_3xx"] for r in results.values())
               + sum((r["warmup"] or {}).get("non_2xx_3xx", 0) for r in results.values())
               + weight["non_2xx_3xx"])
    socket_errors = (sum(r["socket_errors"] for r in results.values())
                     + sum((r["warmup"] or {}).get("socket_errors", 0) for r in results.values()))
    redirect_wrong = results["redirect"].get("redirect_wrong", 0)
    second = weight["second_visit"]
    html_only = second["fetched_again"] == ["/"]
    targets = [
        {"name": "API through nginx / direct", "value": paired,
         "target": f">= {TARGETS['proxied_direct_ratio']:.2f}", "met": paired >= TARGETS["proxied_direct_ratio"]},
        {"name": "static index.html / API through nginx", "value": ratio(index, proxied),
         "target": f">= {TARGETS['static_index_over_api']:.0f}x",
         "met": ratio(index, proxied) is not None and ratio(index, proxied) >= TARGETS["static_index_over_api"]},
        {"name": "first load, HTML+JS+CSS compressed (bytes)", "value": weight["first_load_bytes"],
         "target": f"<= {TARGETS['first_load_bytes']}", "met": weight["first_load_bytes"] <= TARGETS["first_load_bytes"]},
        {"name": "second visit fetches again", "value": second["fetched_again"],
         "target": "only index.html", "met": html_only},
        {"name": "non-2xx/3xx responses (whole run)", "value": non_2xx,
         "target": "0", "met": non_2xx == TARGETS["non_2xx_3xx"]},
    ]
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "params": {"rounds": args.rounds, "seconds": args.seconds, "warmup_seconds": args.warmup,
                   "wrk_threads": args.threads, "wrk_connections": args.connections,
                   "order": "interleaved; every other round backwards"},
        "stack": {"settings_from_shell": base, "gunicorn": gunicorn_main},
        "probes": probes,
        "scenarios": results,
        "api": {"direct_rps": direct, "proxied_rps": proxied, "proxied_over_direct": paired,
                "per_round": pairs, "ratio_of_medians": ratio(proxied, direct), "cpu_bound_ceiling": ceiling,
                "direct_with_nginx_headers_rps": results["api_direct_fwd"]["rate"],
                "proxied_over_direct_with_nginx_headers": ratio(proxied, results["api_direct_fwd"]["rate"])},
        "redirect": {"round_trips_per_s": results["redirect"]["rate"],
                     "requests_per_s": results["redirect"].get("requests_per_s"), "wrong_answers": redirect_wrong},
        "static": {"index_rps": index, "asset_rps": results["static_asset"]["rate"],
                   "index_over_proxied_api": ratio(index, proxied)},
        "worker_scaling": {str(w): results[f"api_workers_{w}"]["rate"] for w in SCALE_WORKERS},
        "page_weight": weight,
        "cold_start": cold,
        "errors": {"non_2xx_3xx": non_2xx, "socket_errors": socket_errors, "redirect_wrong": redirect_wrong},
        "targets": targets,
    }


# ---- the table ------------------------------------------------------------------------------
def kb(n):
    return f"{n / 1000:.1f} kB"


def render(data):
    m, p, g = data["machine"], data["params"], data["stack"]["gunicorn"]
    shell = data["stack"]["settings_from_shell"]
    lines = [
        "",
        f"make bench on {m['cores']} cores ({m['cpu_model'] or 'unknown CPU'}, {m['memory_gib']} GiB): "
        f"{m['nginx'].replace('nginx version: ', '')}, gunicorn {m['gunicorn']} "
        f"({g.get('worker_class')}, {g.get('workers')} workers x {g.get('threads')} threads), Python {m['python']}",
        f"load: wrk -t{p['wrk_threads']} -c{p['wrk_connections']} on loopback, {p['rounds']} rounds x {p['seconds']} s "
        f"per scenario, interleaved (every other round backwards); each figure is the median of the rounds"
        + (f"; settings from the shell: {shell}" if shell else ""),
        "",
        f"{'scenario':<36}{'rate':>10}  {'unit':<14}{'min':>8}{'max':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
        f"   {'CPU us per request':<26}{'other load':>11}",
        f"{'':<36}{'':>10}  {'':<14}{'':>8}{'':>8}{'':>9}{'':>9}{'/3xx':>9}   {'gunicorn  nginx    wrk':<26}{'(cores)':>11}",
    ]
    for r in data["scenarios"].values():
        cpu = r["cpu_us_per_request"]
        lines.append(
            f"{r['label']:<36}{r['rate']:>10,.0f}  {r['unit']:<14}{r['rate_min']:>8,.0f}{r['rate_max']:>8,.0f}"
            f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['non_2xx_3xx']:>9}"
            f"   {cpu.get('gunicorn', 0):>8.0f}{cpu.get('nginx', 0):>7.0f}{cpu.get('wrk', 0):>7.0f}    "
            f"{r['other_load_cores']:>11.2f}")
    w = data["page_weight"]
    lines += ["", "first visit (Accept-Encoding: gzip; bytes of the bodies as sent):"]
    for res in w["resources"]:
        lines.append(f"  {res['path']:<34} {res['kind']:<5}{res['content_encoding']:<9}{kb(res['bytes']):>10}"
                     f"   {res['cache_control']:<38} second visit: {res['second_visit']}")
    second = w["second_visit"]
    lines.append(f"  total {kb(w['first_load_bytes'])} ({kb(w['first_load_bytes_with_headers'])} with headers); "
                 f"a second visit fetches {', '.join(second['fetched_again']) or 'nothing'} again: {kb(second['bytes'])} "
                 f"({second['bytes_if_revalidated']} bytes of body when revalidated: 304)")
    cold = data["cold_start"]
    if "skipped" in cold:
        cold_text = f"skipped: {cold['skipped']}"
    else:
        cold_text = (f"{cold['median_s']:.2f} s to the first 200 on /health (runs: "
                     f"{', '.join(f'{s:.2f}' for s in cold['runs_s'])}); SIGTERM to exit {cold['stop_median_s']:.2f} s")
    api, st, red = data["api"], data["static"], data["redirect"]
    scale = data["worker_scaling"]
    lines += [
        "",
        f"API through nginx / direct: {api['proxied_over_direct']:.2f} (median of the rounds' pairs "
        f"{', '.join(f'{r:.2f}' for r in api['per_round'])}); the CPU per request allows {api['cpu_bound_ceiling']:.2f}; "
        f"over direct with nginx's headers: {api['proxied_over_direct_with_nginx_headers']:.2f}",
        f"redirect /api/ -> Location -> 200: {red['round_trips_per_s']:,.0f} round trips/s "
        f"({red['requests_per_s']:,.0f} requests/s), wrong answers {red['wrong_answers']}",
        f"static index.html: {st['index_over_proxied_api']:.1f}x the API through nginx",
        "API through nginx by WEB_CONCURRENCY: " + ", ".join(f"{k}: {v:,.0f} req/s" for k, v in scale.items()),
        f"cold start (python -m stack up, native, warm machine): {cold_text}",
        f"errors over the whole run: {data['errors']['non_2xx_3xx']} non-2xx/3xx responses, "
        f"{data['errors']['socket_errors']} socket errors",
        "",
        "targets:",
    ]
    for t in data["targets"]:
        value = t["value"]
        if isinstance(value, list):
            value = ", ".join(value) or "nothing"
        lines.append(f"  {'ok  ' if t['met'] else 'MISS'}  {t['name']:<44} {str(value):<10} (target {t['target']})")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario (default 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of load per scenario and round (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of unrecorded load per scenario first (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads, the same for every scenario (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections, the same for every scenario (default 16)")
    parser.add_argument("--cold-starts", type=int, default=3, help="cold starts to time (default 3; 0 skips)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the JSON file (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    for name in ("rounds", "seconds", "warmup", "threads", "connections"):
        if not 1 <= getattr(args, name) <= 600:
            parser.error(f"--{name} must be from 1 to 600")
    if not 0 <= args.cold_starts <= 20:
        parser.error("--cold-starts must be from 0 to 20")
    try:
        data = run(args)
    except (BenchError, StackError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(render(data))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
