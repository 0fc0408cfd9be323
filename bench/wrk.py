"""Load from wrk, and who paid for it in CPU.

A ``Scenario`` is one URL under one load (connections, headers, a Lua script). ``measure`` runs
wrk once for it and notes the rate, latency percentiles, errors, and the CPU that each named
process group (gunicorn, nginx, a front) and wrk used per request. ``interleave`` runs a list of
scenarios in rounds, every other round backwards, so that the machine's drift hits all alike;
``summarise`` takes the medians.
"""

import http.client
import json
import re
import ssl
import statistics
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import procs

LUA = Path(__file__).resolve().parent / "lua"


class BenchError(Exception):
    """The bench could not run (as opposed to a number that misses its target)."""


def lua_scripts(work):
    """wrk takes one script: each one here is its own part followed by the shared report."""
    work.mkdir(parents=True, exist_ok=True)
    report = (LUA / "report.lua").read_text()
    scripts = {"plain": work / "plain.lua", "redirect": work / "redirect.lua"}
    scripts["plain"].write_text(report)
    scripts["redirect"].write_text((LUA / "redirect.lua").read_text() + "\n" + report)
    return scripts


class Scenario:
    def __init__(
        self,
        key,
        label,
        url,
        groups,
        headers=(),
        script="plain",
        script_args=(),
        connections=16,
        threads=2,
        timeout=5,
        unit="req/s",
        tool="wrk",
        streams=1,
    ):
        self.key = key
        self.label = label
        self.url = url
        self.groups = dict(groups)  # name -> process group id, charged for CPU
        self.headers = tuple(headers)
        self.script = script
        self.script_args = tuple(script_args)
        self.connections = connections
        self.threads = min(threads, connections)
        self.timeout = timeout
        self.unit = unit
        # wrk (HTTP/1.1, keep-alive) or h2load (HTTP/2: `connections` connections with `streams`
        # requests in flight on each).
        self.tool = tool
        self.streams = streams
        self.rounds = []
        self.warmup = None


def start_load(cmd, seconds, during=None):
    """Start a load generator for `seconds`; with `during`, call it halfway through, when the
    load is steady. Returns the process and what `during` returned."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampled = None
    if during:
        time.sleep(seconds / 2)
        sampled = during()
    return proc, sampled


def finish(proc, seconds, what):
    """stdout and stderr of a load generator started for `seconds`; BenchError if it hangs."""
    try:
        return proc.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"{what} did not finish within {seconds + 30} s") from None


def run_wrk(scenario, seconds, script, during=None):
    cmd = [
        "wrk",
        "-t",
        str(scenario.threads),
        "-c",
        str(scenario.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        f"{scenario.timeout}s",
        "-s",
        str(script),
    ]
    for header in scenario.headers:
        cmd += ["-H", header]
    cmd.append(scenario.url)
    if scenario.script_args:
        cmd += ["--", *scenario.script_args]
    proc, sampled = start_load(cmd, seconds, during)
    out, err = finish(proc, seconds, " ".join(cmd))
    for line in out.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT ") :]), sampled
    raise BenchError(f"wrk gave no result (exit {proc.returncode}): {' '.join(cmd)}\n{out}{err}")


def h2load_command(scenario, seconds, log_file):
    return [
        "h2load",
        "-c",
        str(scenario.connections),
        "-m",
        str(scenario.streams),
        "-t",
        str(scenario.threads),
        "-D",
        str(seconds),
        "-T",
        str(scenario.timeout),
        "--log-file",
        str(log_file),
        *(arg for header in scenario.headers for arg in ("-H", header)),
        scenario.url,
    ]


def percentile(values, pct):
    """The value below which pct % of the sorted values fall (nearest rank), 0 for none."""
    if not values:
        return 0
    rank = max(1, -(-len(values) * pct // 100))
    return values[int(rank) - 1]


def parse_h2load(out, log_lines, seconds):
    """h2load's summary and its --log-file (start time, status, duration in us, tab-separated,
    one request a line) as the result report.lua gives for wrk. h2load prints no percentiles,
    so they come from the log. Raises BenchError when the summary is not there."""
    done = re.search(
        r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout",
        out,
        re.M,
    )
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out, re.M)
    if not done or not codes:
        raise BenchError(f"h2load gave no summary:\n{out[-600:]}")
    finished, failed, errored, timeouts = (int(done.group(i)) for i in (3, 5, 6, 7))
    bad_status = int(codes.group(3)) + int(codes.group(4))
    took = re.search(r"^finished in ([0-9.]+)(s|ms|us)\b", out, re.M)
    if took:
        seconds = float(took.group(1)) / {"s": 1, "ms": 1e3, "us": 1e6}[took.group(2)]
    durations = []
    for line in log_lines:
        fields = line.split("\t")
        if len(fields) == 3 and fields[1].isdigit() and int(fields[1]) > 0:
            durations.append(int(fields[2]))
    durations.sort()
    return {
        "requests": finished,
        "duration_us": int(seconds * 1e6),
        "errors": {
            "connect": 0,
            # failed counts the 4xx/5xx answers too
            "read": max(failed - bad_status - timeouts, 0),
            "write": 0,
            "status": bad_status,
            "timeout": timeouts,
        },
        "latency_us": {
            "mean": round(sum(durations) / len(durations), 1) if durations else 0.0,
            "p50": percentile(durations, 50),
            "p90": percentile(durations, 90),
            "p99": percentile(durations, 99),
            "max": durations[-1] if durations else 0,
        },
    }


def run_h2load(scenario, seconds, work, during=None):
    log_file = work / f"h2load-{scenario.key}.log"
    cmd = h2load_command(scenario, seconds, log_file)
    proc, sampled = start_load(cmd, seconds, during)
    out, err = finish(proc, seconds, " ".join(cmd))
    try:
        lines = log_file.read_text().splitlines()
    except OSError:
        lines = []
    log_file.unlink(missing_ok=True)
    return parse_h2load(out + err, lines, seconds), sampled


def measure(ctx, scenario, seconds, record=True, during=None):
    """Run wrk once for the scenario; note its rate, latency, errors and who used the CPU."""
    pgids = ctx.all_pgids()
    watched = dict(scenario.groups)
    charged = set(pgids) | set(watched.values())
    t0, busy0, child0, self0 = (
        procs.group_ticks(charged),
        procs.system_busy_ticks(),
        procs.child_cpu_seconds(),
        procs.self_cpu_seconds(),
    )
    started = time.monotonic()
    if scenario.tool == "h2load":
        result, sampled = run_h2load(scenario, seconds, ctx.work, during)
    else:
        result, sampled = run_wrk(scenario, seconds, ctx.scripts[scenario.script], during)
    wall = time.monotonic() - started
    t1, busy1, child1, self1 = (
        procs.group_ticks(charged),
        procs.system_busy_ticks(),
        procs.child_cpu_seconds(),
        procs.self_cpu_seconds(),
    )

    duration = result["duration_us"] / 1e6
    requests = result["requests"]
    cpu = {name: (t1[pgid] - t0[pgid]) / procs.CLK_TCK for name, pgid in watched.items()}
    cpu["wrk"] = child1 - child0
    ours = sum(t1[p] - t0[p] for p in charged) / procs.CLK_TCK
    other = (busy1 - busy0) / procs.CLK_TCK - ours - cpu["wrk"] - (self1 - self0)
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
    if sampled is not None:
        row["sampled"] = sampled
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


def connection(url, timeout):
    """An http.client connection for the URL; https without checking the certificate (the
    bench's fronts use throwaway or Caddy-local ones, and the URL is always loopback)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname,
            parts.port,
            timeout=timeout,
            context=ssl._create_unverified_context(),  # noqa: S323
        )
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def probe(scenario):
    """One request before the load, so that a wrong URL shows up as a message, not as numbers."""
    headers = dict(h.split(": ", 1) for h in scenario.headers)
    conn = connection(scenario.url, 10)
    try:
        conn.request("GET", urlsplit(scenario.url).path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def settle(scenario, prefix, quick_s=0.1, timeout_s=20):
    """Wait until the server behind the scenario answers /health promptly again. When wrk stops,
    requests it sent may still wait in gunicorn's listen queue (256 clients of a 50 ms route on
    3 sync workers: 4 s of work); the next scenario must not pay for them."""
    headers = dict(h.split(": ", 1) for h in scenario.headers if h.lower().startswith("host:"))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        started = time.monotonic()
        conn = connection(scenario.url, timeout_s)
        try:
            conn.request("GET", f"{prefix}/health", headers=headers)
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        if time.monotonic() - started < quick_s:
            return
        time.sleep(0.2)


def interleave(ctx, scenarios, rounds, seconds, warmup=1, during=None):
    """A warm-up of each, then `rounds` rounds of all of them, every other round backwards
    (A B C, C B A, ...), so that steady drift of the machine cancels out."""
    if warmup:
        for scenario in scenarios:
            measure(ctx, scenario, warmup, record=False)
            settle(scenario, ctx.prefix)
    for number in range(rounds):
        order = scenarios if number % 2 == 0 else scenarios[::-1]
        for scenario in order:
            row = measure(ctx, scenario, seconds, during=during(scenario) if during else None)
            settle(scenario, ctx.prefix)
            ctx.log(
                f"  round {number + 1}: {scenario.label}: {row['rate']:,.0f} {scenario.unit}, "
                f"p99 {row['latency_ms']['p99']:.1f} ms"
            )
    return [summarise(s) for s in scenarios]


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarise(scenario):
    rounds = scenario.rounds
    rates = [r["rate"] for r in rounds]
    out = {
        "key": scenario.key,
        "label": scenario.label,
        "url": scenario.url,
        "headers": list(scenario.headers),
        "connections": scenario.connections,
        "unit": scenario.unit,
        "rate": round(statistics.median(rates), 1),
        "rate_min": min(rates),
        "rate_max": max(rates),
        "p50_ms": median(r["latency_ms"]["p50"] for r in rounds),
        "p99_ms": median(r["latency_ms"]["p99"] for r in rounds),
        "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in rounds) + (scenario.warmup or {}).get("non_2xx_3xx", 0),
        "socket_errors": sum(r["socket_errors"] for r in rounds) + (scenario.warmup or {}).get("socket_errors", 0),
        "cpu_us_per_request": {
            name: round(statistics.median(r["cpu_us_per_request"][name] or 0 for r in rounds), 1)
            for name in rounds[0]["cpu_us_per_request"]
        },
        "other_load_cores": round(statistics.mean(r["other_load_cores"] for r in rounds), 2),
        "rounds": rounds,
    }
    if "requests_per_s" in rounds[0]:
        out["requests_per_s"] = round(statistics.median(r["requests_per_s"] for r in rounds), 1)
        out["redirect_wrong"] = sum(r["redirect"]["wrong"] for r in rounds)
    return out
