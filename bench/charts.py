"""The pictures docs/performance.md shows, drawn with matplotlib from a run's results:

scaling.png      throughput and p99 against clients, and against WEB_CONCURRENCY
concurrency.png  the I/O-bound route by worker class: throughput and p99 against clients
cost.png         CPU per request, by process, direct and behind each front
"""

COLORS = {"gunicorn": "#4c72b0", "front": "#dd8452", "wrk": "#8c8c8c"}


def _title(fig, data, text):
    m = data["machine"]
    fig.suptitle(
        f"{text}\n{data['generated'][:16].replace('T', ' ')} UTC, {m['cores']} cores "
        f"({m['cpu_model'] or 'unknown CPU'}), shared machine",
        fontsize=10,
    )


def _scaling(plt, data, path):
    sc = data["scaling"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, rows, key, label in (
        (left, sc["by_clients"], "clients", "concurrent clients (wrk connections)"),
        (right, sc["by_workers"], "workers", "WEB_CONCURRENCY (gunicorn workers), 16 clients"),
    ):
        xs = [r[key] for r in rows]
        ax.plot(xs, [r["rate"] for r in rows], "o-", color=COLORS["gunicorn"], label="throughput")
        ax.set_xlabel(label)
        ax.set_ylabel("requests/s", color=COLORS["gunicorn"])
        ax.set_ylim(bottom=0)
        twin = ax.twinx()
        twin.plot(xs, [r["p99_ms"] for r in rows], "s--", color=COLORS["front"], label="p99")
        twin.set_ylabel("p99 latency (ms)", color=COLORS["front"])
        twin.set_ylim(bottom=0)
        if key == "clients":
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs, [str(x) for x in xs])
        else:
            ax.set_xticks(xs)
        ax.grid(alpha=0.3)
    _title(fig, data, "API through nginx (GET /api/result): throughput (line) and p99 (dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _concurrency(plt, data, path):
    c = data["concurrency"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for model in dict.fromkeys(r["model"] for r in c["rows"]):
        rows = [r for r in c["rows"] if r["model"] == model and r["route"] == "io"]
        xs = [r["clients"] for r in rows]
        left.plot(xs, [r["rate"] for r in rows], "o-", label=model)
        right.plot(xs, [r["p99_ms"] for r in rows], "o-", label=model)
    for ax, ylabel in ((left, "requests/s"), (right, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(c["clients"], [str(x) for x in c["clients"]])
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(title="worker class")
    right.set_yscale("log")
    _title(
        fig,
        data,
        f"A route that waits {c['wait_ms']} ms, through nginx, by gunicorn worker class "
        f"({data['gunicorn'].get('workers')} workers)",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cost(plt, data, path):
    pool = data["pool"]
    rows = [
        ("direct", pool["api_direct"]),
        ("direct + nginx's headers", pool["hdr_all"]),
        ("nginx (this config)", pool["api_proxied"]),
    ]
    rows += [
        (name, pool[f"front_{name}"])
        for name in ("nginx-minimal", "nginx-minimal+headers", "caddy", "haproxy")
        if f"front_{name}" in pool
    ]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for i, (_label, r) in enumerate(rows):
        cpu = r["cpu_us_per_request"]
        left = 0
        for part, value in (
            ("gunicorn", cpu.get("gunicorn", 0)),
            ("front", cpu.get("nginx", cpu.get("front", 0))),
            ("wrk", cpu.get("wrk", 0)),
        ):
            ax.barh(i, value, left=left, color=COLORS[part], label=part if i == 0 else None)
            left += value
        ax.text(left + 5, i, f"{left:.0f} us, {r['rate']:,.0f} req/s", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel("CPU microseconds per request (median of the rounds)")
    ax.set_xlim(right=ax.get_xlim()[1] * 1.25)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, frameon=False)
    _title(fig, data, "Where a request's CPU goes: the API direct and behind each front (wrk -c16)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw(data, folder):
    """Draw every chart the data allows into `folder`; returns the paths written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is missing (pip install -r bench/requirements.txt): no charts drawn")
        return []
    written = []
    for name, draw_one, needs in (
        ("scaling.png", _scaling, "scaling"),
        ("concurrency.png", _concurrency, "concurrency"),
        ("cost.png", _cost, "pool"),
    ):
        if needs in data:
            draw_one(plt, data, folder / name)
            written.append(folder / name)
    return written
