#!/usr/bin/env python3
"""Watches for CPU time used by processes that are not part of a benchmark, so that a result taken
on a shared machine says whether something else was competing for the CPUs.

Usage: cpuwatch.py BENCH_PID OUT_JSON

Every 0.5 s, reads /proc/*/stat and adds up the CPU time (user + system) each process used since
the last sample. Processes descending from BENCH_PID (the benchmark script and everything it
started: server, mounts, dd, find, curl) and kernel threads are left out; a process first seen
during the run counts from its start. On SIGTERM or SIGINT writes
{"seconds": wall, "other_cpu_s": total, "top": [[name, cpu_s], ...]} to OUT_JSON and exits.
"""

import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def snapshot():
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is field 3 (state): ppid = 4, flags = 9, utime = 14, stime = 15, start = 22.
        ppid, flags = int(fields[1]), int(fields[6])
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        start = int(fields[19])
        procs[int(name)] = (ppid, flags, comm, cpu, start)
    return procs


def ours(pid, procs, root):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == root:
            return True
        pid = procs.get(pid, (0,))[0]
        seen += 1
    return False


def main():
    root, out = int(sys.argv[1]), sys.argv[2]
    started = time.monotonic()
    first = snapshot()
    last = {pid: (p[3], p[4]) for pid, p in first.items()}
    used = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while True:
        if not stop:
            time.sleep(0.5)
        procs = snapshot()
        for pid, (ppid, flags, comm, cpu, start) in procs.items():
            if flags & 0x00200000 or ppid == 2 or pid == os.getpid():  # PF_KTHREAD
                continue
            before, before_start = last.get(pid, (0.0, start))
            if before_start != start:
                before = 0.0
            delta = cpu - before
            if delta > 0 and not ours(pid, procs, root):
                used[comm] = used.get(comm, 0.0) + delta
        last = {pid: (p[3], p[4]) for pid, p in procs.items()}
        if stop:
            break
    top = sorted(used.items(), key=lambda kv: -kv[1])[:5]
    with open(out, "w") as f:
        json.dump({"seconds": round(time.monotonic() - started, 1),
                   "other_cpu_s": round(sum(used.values()), 1),
                   "top": [[k, round(v, 1)] for k, v in top]}, f)


if __name__ == "__main__":
    main()
