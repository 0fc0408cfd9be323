"""python -m bench (make bench): run every measurement, print one report, write
bench/results/latest.json and the charts beside it.

Exit status is non-zero only when the bench itself could not run (a program missing, a stack
that does not start); a number that misses its target is reported, never fatal.
"""

import argparse
import json
import os
import shutil
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from stack import spa
from stack.errors import StackError
from stack.settings import SETTING_NAMES

from . import (
    breakdown,
    charts,
    concurrency,
    hotspots,
    load,
    observability,
    pages,
    production,
    proxies,
    scaling,
    workers,
)
from .machine import machine
from .stacks import ROOT, RUN_ROOT, BenchStack, free_port, gunicorn_effective
from .wrk import BenchError, interleave, lua_scripts, probe

RESULTS = ROOT / "bench" / "results"
PROGRAMS = {
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "openssl": "openssl",
    "nginx": "nginx",
    "envsubst": "gettext-base",
    "caddy": "caddy",
    "haproxy": "haproxy",
}
PARTS = ("load", "production", "hotspots", "observability", "scaling", "concurrency", "gunicorn", "pages")
# Settings the bench chooses itself; every other stack setting set in the shell is passed on.
OWN_SETTINGS = ("STACK", "HTTP_PORT", "API_BIND")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


class Context:
    """What every measurement needs: the options, the settings, the running processes."""

    def __init__(self, args, base):
        self.args = args
        self.base = base
        self.prefix = base.get("API_PREFIX", "/api")
        self.work = RUN_ROOT / "bench"
        self.scripts = lua_scripts(self.work)
        self.venv_bin = Path(sys.executable).parent
        self.log = log
        self.main = None
        self.fronts = {}
        self.extra_stacks = []
        self.extra_pgids = []  # processes started outside a stack, charged as "ours"
        self.asset = None

    @property
    def public(self):
        return f"127.0.0.1:{self.main.port}"

    @property
    def direct_url(self):
        return f"http://127.0.0.1:{self.main.tcp_port}{self.prefix}/result"

    @contextmanager
    def stacks(self):
        """A part's own stacks: start(stack) starts one and charges its processes to the run;
        every one started is stopped when the block ends, however it ends."""
        started = []

        def start(stack):
            started.append(stack.start())
            self.extra_stacks.append(stack)
            return stack

        try:
            yield start
        finally:
            for stack in started:
                stack.cleanup()
                self.extra_stacks.remove(stack)

    def all_pgids(self):
        stacks = [self.main, *self.extra_stacks] if self.main else self.extra_stacks
        return (
            [pgid for s in stacks for pgid in s.groups().values()]
            + [pgid for _, pgid in self.fronts.values()]
            + self.extra_pgids
        )


def base_settings():
    """The stack settings set in the shell (never .env), minus the ones the bench sets."""
    return {k: os.environ[k] for k in SETTING_NAMES if os.environ.get(k) and k not in OWN_SETTINGS}


def run(args):
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if missing:
        raise BenchError(
            f"missing program(s): {', '.join(missing)}. `make bench` installs them as root "
            f"(Debian: apt-get install {' '.join(PROGRAMS[p] for p in missing)})."
        )
    ctx = Context(args, base_settings())
    log("building the frontend if it changed ...")
    spa.build({**ctx.base, "API_PREFIX": ctx.prefix})
    data = {}
    parts = args.only
    if "pages" in parts and args.cold_starts:
        log(f"cold start: `python -m stack up` to the first 200 on {ctx.prefix}/health, {args.cold_starts} times ...")
        data["cold_start"] = pages.cold_start(ctx.work, ctx.base, args.cold_starts, ctx.prefix)
    else:
        data["cold_start"] = {"skipped": "--cold-starts 0" if "pages" in parts else "not in --only"}

    with ExitStack() as exits:
        ctx.main = BenchStack("bench-main", ctx.base, tcp_port=free_port())
        exits.callback(ctx.main.cleanup)
        log(f"starting the stack (nginx :{ctx.main.port}, gunicorn also on :{ctx.main.tcp_port}) ...")
        ctx.main.start()
        data["gunicorn"] = gunicorn_effective(ctx.main.settings)
        log("page weight: first and second visit ...")
        data["page_weight"] = pages.page_weight(ctx.main.port)
        linked = [r for r in data["page_weight"]["resources"] if r["kind"] == "js"]
        if not linked:
            raise BenchError("index.html links no JS asset")
        ctx.asset = max(linked, key=lambda r: r["bytes"])["path"]
        if "load" in parts:
            log("starting nginx (minimal), Caddy and HAProxy in front of the same gunicorn ...")
            ctx.fronts = proxies.start(ctx, exits)
            pool = load.scenarios(ctx) + breakdown.scenarios(ctx) + proxies.scenarios(ctx)
            for scenario in pool:
                status = probe(scenario)
                if not 200 <= status < 400:
                    raise BenchError(f"{scenario.label}: {scenario.url} answers {status}, not 2xx/3xx")
            total = args.rounds * len(pool) * args.seconds
            log(
                f"load, breakdown, fronts: {len(pool)} scenarios x {args.rounds} rounds x {args.seconds} s "
                f"(about {total // 60} min {total % 60} s) ..."
            )
            data["pool"] = {s["key"]: s for s in interleave(ctx, pool, args.rounds, args.seconds, args.warmup)}
            data.update(load.report(ctx, data["pool"]))
            data["breakdown"] = breakdown.report(ctx, data["pool"], breakdown.in_process(ctx))
            data["fronts"] = proxies.report(ctx, data["pool"])
        if "production" in parts:
            data.update(production.run(ctx))
        if "hotspots" in parts:
            data.update(hotspots.run(ctx))
        if "observability" in parts:
            data.update(observability.run(ctx))
        ctx.args = argparse.Namespace(**{**vars(args), "rounds": args.curve_rounds, "seconds": args.curve_seconds})
        if "scaling" in parts:
            data.update(scaling.run(ctx))
        if "concurrency" in parts:
            data.update(concurrency.run(ctx))
        ctx.args = args
        if "gunicorn" in parts:
            data.update(workers.run(ctx))

    errors = data["page_weight"]["non_2xx_3xx"]
    errors += sum(r["non_2xx_3xx"] + r["socket_errors"] for r in data.get("pool", {}).values())
    errors += sum(
        r["errors"]
        for r in data.get("scaling", {}).get("by_clients", []) + data.get("scaling", {}).get("by_workers", [])
    )
    errors += sum(r["errors"] for r in data.get("concurrency", {}).get("rows", []))
    errors += sum(r["errors"] for r in data.get("observability", {}).get("rows", []))
    errors += production.errors(data) + workers.errors(data)
    data["errors"] = errors
    result = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "params": {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "curve_rounds": args.curve_rounds,
            "curve_seconds": args.curve_seconds,
            "quick": args.quick,
            "order": "interleaved; every other round backwards",
        },
        "settings_from_shell": ctx.base,
        **data,
    }
    checks = load.targets(result) + breakdown.targets(result) + proxies.targets(result) if "pool" in data else []
    checks += observability.targets(result)
    checks += production.targets(result) if "production" in data else []
    checks += [("errors, non-2xx/3xx or socket (whole run)", errors, "0", errors == 0)] + pages.targets(result)
    result["targets"] = [
        {"name": name, "value": value, "target": target, "met": bool(met)} for name, value, target, met in checks
    ]
    return result


def render(data):
    m, p, g = data["machine"], data["params"], data["gunicorn"]
    shell = data["settings_from_shell"]
    out = [
        "",
        f"make bench {data['generated']} on {m['cores']} cores "
        f"({m['cpu_model'] or 'unknown CPU'}, {m['memory_gib']} GiB): "
        f"{(m['nginx'] or '').replace('nginx version: ', '')}, gunicorn {m['gunicorn']} "
        f"({g.get('worker_class')}, {g.get('workers')} workers x {g.get('threads')} threads), Python {m['python']}",
        f"load: wrk -t2 -c16 on loopback, {p['rounds']} rounds x {p['seconds']} s per scenario, interleaved (every "
        f"other round backwards); each figure is the median of the rounds"
        + (f"; settings from the shell: {shell}" if shell else ""),
        "",
    ]
    for module, needs in (
        (load, "pool"),
        (breakdown, "pool"),
        (proxies, "pool"),
        (production, "production"),
        (hotspots, "hotspots"),
        (observability, "observability"),
        (concurrency, "concurrency"),
        (workers, "gunicorn_variants"),
        (scaling, "scaling"),
        (pages, "page_weight"),
    ):
        if needs in data:
            out += module.lines(data)
    out += ["", f"errors over the whole run: {data['errors']}", "", "targets:"]
    for t in data["targets"]:
        out.append(f"  {'ok  ' if t['met'] else 'MISS'}  {t['name']:<48} {str(t['value']):<10} (target {t['target']})")
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one short round of everything, fewer points (about 2 min): for iterating, not for figures",
    )
    parser.add_argument("--rounds", type=int, help="rounds of the load/breakdown/fronts scenarios (default 7)")
    parser.add_argument("--seconds", type=int, help="seconds per scenario and round there (default 2)")
    parser.add_argument("--curve-rounds", type=int, help="rounds of the scaling and concurrency scenarios (default 2)")
    parser.add_argument("--curve-seconds", type=int, help="seconds per scenario and round there (default 3)")
    parser.add_argument("--warmup", type=int, help="seconds of unrecorded load per scenario first (default 1)")
    parser.add_argument("--cold-starts", type=int, help="cold starts to time (default 3; 0 skips)")
    parser.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=set(PARTS),
        help=f"comma-separated parts to run, of: {','.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "latest.json",
        help="the JSON file; the charts go beside it (default bench/results/latest.json)",
    )
    args = parser.parse_args(argv)
    defaults = (
        {"rounds": 1, "seconds": 1, "curve_rounds": 1, "curve_seconds": 2, "warmup": 0, "cold_starts": 1}
        if args.quick
        else {"rounds": 7, "seconds": 2, "curve_rounds": 2, "curve_seconds": 3, "warmup": 1, "cold_starts": 3}
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("rounds", "seconds", "curve_rounds", "curve_seconds"):
        if not 1 <= getattr(args, name) <= 600:
            parser.error(f"--{name.replace('_', '-')} must be from 1 to 600")
    if not args.only <= set(PARTS):
        parser.error(f"--only takes parts out of {','.join(PARTS)}, not {','.join(sorted(args.only - set(PARTS)))}")
    if not 0 <= args.warmup <= 60 or not 0 <= args.cold_starts <= 20:
        parser.error("--warmup must be from 0 to 60 and --cold-starts from 0 to 20")
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
    for path in charts.draw(data, args.out.parent):
        print(f"bench: drew {path}")
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
