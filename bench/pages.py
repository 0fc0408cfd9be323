"""Without load: the bytes a first visit loads and a second visit fetches again, and the
seconds from `python -m stack up` to the first 200 on /api/health (cold start)."""

import gzip
import html.parser
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

from stack.native import free_port
from stack.settings import SETTING_NAMES

from .stacks import ROOT
from .wrk import BenchError

TARGET_FIRST_LOAD_BYTES = 60_000


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
        head = (
            len(f"HTTP/1.1 {response.status} {response.reason}\r\n")
            + 2
            + sum(len(k) + len(v) + 4 for k, v in response.getheaders())
        )
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
            "path": path,
            "kind": kind,
            "status": status,
            "content_encoding": headers.get("content-encoding", "identity"),
            "bytes": len(body),
            "header_bytes": head,
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


def cold_start(work, base_settings, runs, prefix, timeout=60):
    """Seconds from starting `python -m stack up` (native) to the first 200 on /api/health.

    Its own folder under .run/ (--name), so a `make up` running beside it is left alone."""
    starts, stops = [], []
    for number in range(runs):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        env.update(base_settings, STACK="native", HTTP_PORT=str(port))
        url = f"http://127.0.0.1:{port}{prefix}/health"
        with open(work / f"cold-start-{number}.log", "wb") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "stack", "up", "--name", "bench-cold-start"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
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
                    raise BenchError(
                        f"`python -m stack up` gave no 200 on {url} within {timeout} s "
                        f"(exit {proc.poll()}); see {out.name}"
                    )
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
    return {
        "runs_s": starts,
        "median_s": round(statistics.median(starts), 3),
        "stop_runs_s": stops,
        "stop_median_s": round(statistics.median(stops), 3),
    }


def kb(n):
    return f"{n / 1000:.1f} kB"


def lines(data):
    w = data["page_weight"]
    out = ["", "first visit (Accept-Encoding: gzip; bytes of the bodies as sent):"]
    for res in w["resources"]:
        out.append(
            f"  {res['path']:<34} {res['kind']:<5}{res['content_encoding']:<9}{kb(res['bytes']):>10}"
            f"   {res['cache_control']:<38} second visit: {res['second_visit']}"
        )
    second = w["second_visit"]
    out.append(
        f"  total {kb(w['first_load_bytes'])} ({kb(w['first_load_bytes_with_headers'])} with headers); "
        f"a second visit fetches {', '.join(second['fetched_again']) or 'nothing'} again: {kb(second['bytes'])} "
        f"({second['bytes_if_revalidated']} bytes of body when revalidated: 304)"
    )
    cold = data["cold_start"]
    if "skipped" in cold:
        out.append(f"cold start: skipped: {cold['skipped']}")
    else:
        out.append(
            f"cold start (python -m stack up, native, warm machine): {cold['median_s']:.2f} s to the first 200 "
            f"on /health (runs: {', '.join(f'{s:.2f}' for s in cold['runs_s'])}); SIGTERM to exit "
            f"{cold['stop_median_s']:.2f} s"
        )
    return out


def targets(data):
    w = data["page_weight"]
    fetched = w["second_visit"]["fetched_again"]
    return [
        (
            "first load, HTML+JS+CSS compressed (bytes)",
            w["first_load_bytes"],
            f"<= {TARGET_FIRST_LOAD_BYTES}",
            w["first_load_bytes"] <= TARGET_FIRST_LOAD_BYTES,
        ),
        ("second visit fetches again", ", ".join(fetched) or "nothing", "only index.html", fetched == ["/"]),
    ]
