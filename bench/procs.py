"""What the processes under test use: CPU ticks per process group, RSS per process."""

import os
import resource

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _stat(pid):
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def group_ticks(pgids):
    """CPU ticks (user + system) of every process in each process group."""
    totals = dict.fromkeys(pgids, 0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(entry.name)
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


def group_members(pgid):
    """(pid, parent pid, command name) of every process in a process group."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(entry.name)
            with open(f"/proc/{entry.name}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append((int(entry.name), int(fields[1]), comm))
    return members


def rss_kib(pid):
    """Resident memory of one process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KIB
    except OSError:
        return 0


def pss_kib(pid):
    """Proportional set size in KiB: shared pages (a forked worker's copy of its master's)
    divided among the processes that share them, so that the sum over a stack is its memory."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_rss(name, pgid):
    """RSS of each process of a group, labelled master/worker by parentage: the group leader is
    the master (gunicorn's arbiter, nginx's master), its children are workers."""
    rows = []
    for pid, _ppid, comm in group_members(pgid):
        role = "master" if pid == pgid else "worker"
        rows.append(
            {
                "group": name,
                "role": role,
                "pid": pid,
                "comm": comm,
                "rss_mib": round(rss_kib(pid) / 1024, 1),
                "pss_mib": round(pss_kib(pid) / 1024, 1),
            }
        )
    return rows
