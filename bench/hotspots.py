"""Where gunicorn's Python time goes: py-spy samples one worker of the main stack (only while
it holds the GIL, i.e. runs Python) during a load of the direct request with nginx's headers.

Each sample is charged to the innermost frame that belongs to a known part (standard library
frames go to their caller), and the table lists the parts and the functions with the most
samples of their own.
"""

import collections
import re
import shutil
import subprocess

from . import procs
from .breakdown import nginx_headers
from .wrk import Scenario, run_wrk

# (part, pattern on the frame's file): the first match from the innermost frame outwards.
PARTS = (
    ("ProxyFix", re.compile(r"werkzeug/middleware/proxy_fix\.py")),
    ("the app (backend/app)", re.compile(r"(^|/)app/[a-z_]+\.py")),
    ("Flask and Werkzeug (request, routing, url_for, JSON response)", re.compile(r"/(flask|werkzeug|json)/")),
    ("gunicorn: access log", re.compile(r"gunicorn/glogging\.py|/logging/")),
    (
        "gunicorn: read and parse the request",
        re.compile(r"gunicorn/http/(parser|message|unreader|body)\.py|gunicorn_h1c"),
    ),
    ("gunicorn: WSGI environ, write the response", re.compile(r"gunicorn/http/wsgi\.py|gunicorn/util\.py")),
    (
        "gunicorn: worker loop (threads, polling)",
        re.compile(r"gunicorn/workers/|concurrent/futures|selectors\.py|threading\.py"),
    ),
)
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:]*)(:\d+)?\)$")


def _short(path):
    for marker in ("site-packages/", "lib/python3", "backend/"):
        if marker in path:
            return path.split(marker, 1)[1].split("/", 1)[-1] if marker == "lib/python3" else path.split(marker, 1)[1]
    return path


def analyse(raw_lines):
    parts, selfs, total = collections.Counter(), collections.Counter(), 0
    for line in raw_lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_FRAME.match(f) for f in stack.split(";")]
        frames = [(m["func"], m["file"]) for m in frames if m]
        if not frames:
            continue
        leaf_func, leaf_file = frames[-1]
        selfs[f"{leaf_func} ({_short(leaf_file)})"] += n
        for _, path in reversed(frames):
            part = next((name for name, pattern in PARTS if pattern.search(path)), None)
            if part:
                parts[part] += n
                break
        else:
            parts["other"] += n
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "parts_pct": {name: share(n) for name, n in parts.most_common()},
        "top_functions_pct": {name: share(n) for name, n in selfs.most_common(12)},
    }


def run(ctx):
    if shutil.which("py-spy", path=str(ctx.venv_bin)) is None and shutil.which("py-spy") is None:
        return {"hotspots": {"skipped": "py-spy is not installed (pip install -r bench/requirements.txt)"}}
    pyspy = shutil.which("py-spy", path=str(ctx.venv_bin)) or shutil.which("py-spy")
    workers = [
        pid for pid, _, _ in procs.group_members(ctx.main.groups()["gunicorn"]) if pid != ctx.main.groups()["gunicorn"]
    ]
    if not workers:
        return {"hotspots": {"skipped": "no gunicorn worker found"}}
    seconds = max(2, ctx.args.seconds)
    out = ctx.work / "py-spy.txt"
    scenario = Scenario(
        "hotspots",
        "direct + nginx's headers",
        ctx.direct_url,
        ctx.main.groups(),
        headers=(f"Host: {ctx.public}", *nginx_headers(ctx).values()),
    )

    def record():
        return subprocess.run(
            [
                pyspy,
                "record",
                "--pid",
                str(workers[0]),
                "--duration",
                str(seconds),
                "--rate",
                "500",
                "--gil",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        )

    ctx.log(f"hot spots: py-spy on gunicorn worker {workers[0]} for {seconds} s ...")
    # py-spy starts at the load's halfway point and runs its own `seconds`: the load lasts longer.
    _, proc = run_wrk(scenario, seconds * 2 + 2, ctx.scripts["plain"], during=record)
    if proc.returncode or not out.exists():
        return {"hotspots": {"skipped": f"py-spy failed: {(proc.stderr or proc.stdout).strip()[-200:]}"}}
    return {
        "hotspots": {
            "load": scenario.label,
            "worker_pid": workers[0],
            "seconds": seconds,
            **analyse(out.read_text().splitlines()),
        }
    }


def lines(data):
    h = data["hotspots"]
    if "skipped" in h:
        return ["", f"hot spots: skipped ({h['skipped']})"]
    out = ["", f"hot spots (py-spy, one gunicorn worker, {h['samples']} samples holding the GIL, load: {h['load']}):"]
    out += [f"  {pct:5.1f}%  {name}" for name, pct in h["parts_pct"].items()]
    out.append("  functions with the most samples of their own:")
    out += [f"  {pct:5.1f}%  {name}" for name, pct in list(h["top_functions_pct"].items())[:8]]
    return out
