#!/usr/bin/env python3
"""REPORT.md from bench/run's raw results.

Usage: report.py RESULTS_JSON > REPORT.md

results.json has six parts: `meta` (machine, commit, niceness, durations), and the figures of
bench/run-mount (`mount`), bench/run-writes (`writes`), bench/run-sweeps (`sweeps`),
bench/run-smallreads (`smallreads`) and bench/run-treereads (`treereads`), every run of every
figure. This prints the table of ratios (docsfs vs curl, the API crawl, a plain client and
rclone), the plots (SVGs next to the report, from bench/plot.py) and the sweeps' tables; medians
throughout.
"""

import json
import statistics
import sys


def med(v):
    """Median of a list of runs, the value itself, or None."""
    if v is None:
        return None
    if isinstance(v, list):
        v = [x for x in v if x is not None]
        return statistics.median(v) if v else None
    return v


def num(v, digits=None):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, int) or (digits is None and float(v).is_integer() and abs(v) >= 1):
        return f"{int(v):,}"
    if digits is None:
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2 if abs(v) >= 0.1 else 3
    return f"{v:,.{digits}f}"


def runs(v, digits=None):
    if not isinstance(v, list):
        return num(v, digits)
    return " / ".join(num(x, digits) for x in v)


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


class Table:
    """The ratio table: docsfs vs a baseline, ratio = docsfs / baseline."""

    def __init__(self):
        self.rows = []

    def add(self, figure, ours, base_name, base, higher_better, target="", met=None, source="",
            unit="s"):
        """unit: what a lower-is-better figure counts: s (faster), MiB (less), calls (fewer),
        or "" for no ratio at all."""
        ours, base = med(ours), med(base)
        ratio = reading = ""
        if isinstance(ours, (int, float)) and isinstance(base, (int, float)) and base and ours and unit:
            r = ours / base
            ratio = f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"
            times = lambda x: f"{x:.0f}×" if x >= 10 else f"{x:.1f}×"
            if abs(r - 1) < 0.05:
                reading = "about the same"
            elif higher_better:
                reading = f"{times(r)} faster" if r > 1 else f"{times(1 / r)} slower"
            else:
                better, worse = {"MiB": ("less", "more"), "calls": ("fewer", "more")}.get(unit, ("faster", "slower"))
                reading = f"{times(1 / r)} {better}" if r < 1 else f"{times(r)} {worse}"
        if base is None and base_name.endswith("not installed"):
            base_cell = base_name
        elif base is None and base_name:
            base_cell = f"{base_name}: not measured"
        elif base_name:
            base_cell = f"{base_name} {num(base)}"
        else:
            base_cell = ""
        met_cell = "" if met is None else ("yes" if met else "**no**")
        self.rows.append((figure, num(ours), base_cell, ratio, reading, target, met_cell, source))

    def markdown(self):
        out = ["| Figure | docsfs | baseline | docsfs / baseline | docsfs is | target | met | from |",
               "|---|---:|---:|---:|---|---|---|---|"]
        for row in self.rows:
            out.append("| " + " | ".join(str(c) for c in row) + " |")
        return "\n".join(out)


def check(value, op, limit):
    value = med(value)
    if value is None:
        return None
    return {"<=": value <= limit, ">=": value >= limit, "<": value < limit, "==": value == limit}[op]


def check_ratio(ours, base, limit):
    """Whether the median of `ours` is at most `limit` times the median of `base`."""
    if not ours or not base:
        return None
    return med(ours) / med(base) <= limit


def main():
    with open(sys.argv[1]) as f:
        res = json.load(f)
    meta, mount, writes, sw = res["meta"], res.get("mount", {}), res.get("writes", {}), res.get("sweeps", {})
    cfg = sw.get("config", {})
    rclone = cfg.get("rclone", "not installed")
    have_rclone = rclone != "not installed"
    rc = "rclone" if have_rclone else "rclone: not installed"
    reps = cfg.get("reps", "?")
    sizes = cfg.get("read_sizes_mib", [])
    big, huge = get(mount, "sizes", "big_mib"), get(mount, "sizes", "huge_mib")
    wbig, whuge = get(writes, "sizes", "big_mib"), get(writes, "sizes", "huge_mib")
    files = get(mount, "tree", "files")

    def gib(mib):
        return f"{mib // 1024} GiB" if mib and mib >= 1024 else f"{mib} MiB"

    t = Table()
    # Reads
    rd = mount.get("read", {})
    rratio = med(get(rd, "cold", "docsfs")) / med(get(rd, "cold", "curl")) if get(rd, "cold", "curl") else None
    t.add(f"Sequential read of {gib(big)}, cold caches (MB/s)", get(rd, "cold", "docsfs"), "curl",
          get(rd, "cold", "curl"), True, "ratio ≥ 0.85", None if rratio is None else rratio >= 0.85,
          "run-mount")
    t.add(f"Same, server cache warm (MB/s)", get(rd, "warm", "docsfs"), "curl", get(rd, "warm", "curl"), True,
          "", None, "run-mount")
    if sizes:
        top, small = str(sizes[-1]), str(sizes[0])
        srd = sw.get("read", {})
        for temp, note in (("cold", "cold caches"), ("warm", "server cache warm")):
            t.add(f"Sequential read of {gib(int(top))}, {note} (MB/s)", get(srd, temp, "docsfs", top), rc,
                  get(srd, temp, "rclone", top), True, "", None, "run-sweeps")
        t.add(f"Read of a {gib(int(small))} file, cold caches (MB/s)", get(srd, "cold", "docsfs", small), "curl",
              get(srd, "cold", "curl", small), True, "", None, "run-sweeps")
        t.add(f"Read of a {gib(int(small))} file, cold caches (MB/s)", get(srd, "cold", "docsfs", small), rc,
              get(srd, "cold", "rclone", small), True, "", None, "run-sweeps")
    # Small files at latency (run-smallreads)
    sr = res.get("smallreads", {})
    for backend in ("workdocs", "logicaldoc"):
        for lat in ("0", "20"):
            b = get(sr, backend, lat)
            if not b:
                continue
            name = "WorkDocs" if backend == "workdocs" else "LogicalDOC"
            sr_files = sr.get("files")
            ratio = med(b["cold"]) / med(b["plain"]) if b.get("plain") else None
            target = "ratio ≤ 1.0" if lat == "0" else ""
            t.add(f"`cat` of {sr_files} small files, cold, {name}, {lat} ms per request (s)", b.get("cold"),
                  "plain keep-alive client", b.get("plain"), False, target,
                  None if (ratio is None or lat != "0") else ratio <= 1.0, "run-smallreads")
            pairs = [str(v).split("/") for v in b.get("cold_req", [])]
            if pairs:
                per_file = [int(a) / sr_files for a, _ in pairs]
                t.add(f"Requests per cold file (all), {name}, {lat} ms", per_file, "", None, False, "≤ 1",
                      check(per_file, "<=", 1), "run-smallreads", "")
                t.add(f"Content requests per cold file, {name}, {lat} ms", [int(c) / sr_files for _, c in pairs],
                      "", None, False, "", None, "run-smallreads", "")
            b0 = get(sr, backend, "0")
            if lat == "20" and b0 and b0.get("cold") and b.get("cold"):
                serial = (med(b["cold"]) - med(b0["cold"])) / 0.020 / sr_files
                t.add(f"Round trips waited for per cold file ((time at 20 ms − at 0 ms) / 20 ms), {name}",
                      serial, "", None, False, "≤ 1", serial <= 1, "run-smallreads", "")
            t.add(f"Same `cat` after a remount on the same cache, {name}, {lat} ms (s)", b.get("cached"),
                  "local disk", sr.get("local_s"), False, "ratio ≤ 1.5",
                  check_ratio(b.get("cached"), sr.get("local_s"), 1.5), "run-smallreads")
    # The same cold `cat` vs rclone mount behind bench/delayproxy.py (run-smallreads)
    for lat in ("0", "20"):
        rcl = get(sr, "rclone", lat)
        if not rcl:
            continue
        for backend in ("workdocs", "logicaldoc"):
            b = get(sr, backend, lat) or {}
            name = "WorkDocs" if backend == "workdocs" else "LogicalDOC"
            target = "ratio ≤ 0.3" if lat == "20" else ""
            t.add(f"`cat` of {sr.get('files')} small files, cold, {name}, {lat} ms per request (s)", b.get("cold"),
                  "rclone, cache off", rcl.get("off"), False, target,
                  check_ratio(b.get("cold"), rcl.get("off"), 0.3) if lat == "20" else None, "run-smallreads")
            if rcl.get("full") and lat == "20":
                t.add(f"Same, {name}, {lat} ms (s)", b.get("cold"), "rclone, cache full", rcl.get("full"), False,
                      "", None, "run-smallreads")
            if lat == "20" and b.get("cold_req") and rcl.get("off_req"):
                t.add(f"Requests of that `cat`, {name}, {lat} ms", [int(str(v).split("/")[0]) for v in b["cold_req"]],
                      "rclone", [int(str(v).split("/")[0]) for v in rcl["off_req"]], False, "", None,
                      "run-smallreads", "calls")
    # Whole-tree reads vs rclone mount behind bench/delayproxy.py (run-treereads)
    tr = res.get("treereads", {})
    what = {"grep": f"`grep -r` over {num(tr.get('files'))} small files",
            "rsync": f"Restore (`rsync -a` out of the mount) of {num(tr.get('files'))} small files"}
    for lat in [str(x) for x in tr.get("latencies", [])]:
        for op in ("grep", "rsync"):
            rcl = get(tr, lat, "rclone", op) or {}
            for backend in ("workdocs", "logicaldoc"):
                b = get(tr, lat, backend, op)
                if not b:
                    continue
                name = "WorkDocs" if backend == "workdocs" else "LogicalDOC"
                met = None
                if lat == "20" and rcl.get("seconds") and b.get("seconds"):
                    met = med(rcl["seconds"]) / med(b["seconds"]) >= 3
                t.add(f"{what[op]}, cold, {name}, {lat} ms per request (s)", b.get("seconds"),
                      "rclone, cache off" if tr.get("rclone_version", "not installed") != "not installed"
                      else "rclone: not installed", rcl.get("seconds"), False,
                      "rclone ≥ 3× (ratio ≤ 0.33)" if lat == "20" else "", met, "run-treereads")
                if lat == "20":
                    t.add(f"Requests of that {op}, {name}, {lat} ms",
                          [int(str(v).split("/")[0]) for v in b.get("requests", [])], "rclone",
                          [int(str(v).split("/")[0]) for v in rcl.get("requests", [])] or None, False, "", None,
                          "run-treereads", "calls")
    # One big file at latency, and cached with passthrough (run-bigreads)
    br = res.get("bigreads", {})
    if br:
        size = gib(br.get("bytes", 0) >> 20)
        for lat in ("0", "20"):
            for backend in ("workdocs", "logicaldoc"):
                b = get(br, backend, lat) or {}
                name = "WorkDocs" if backend == "workdocs" else "LogicalDOC"
                curl = get(br, "curl", lat)
                met = med(b["cold"]) / med(curl) >= 0.85 if b.get("cold") and curl else None
                t.add(f"Sequential read of {size}, cold, {name}, {lat} ms per request (MB/s)", b.get("cold"),
                      "curl", curl, True, "ratio ≥ 0.85", met, "run-bigreads")
            rcl = get(br, "rclone", lat)
            if rcl:
                t.add(f"Same, WorkDocs, {lat} ms per request (MB/s)", get(br, "workdocs", lat, "cold"),
                      "rclone, cache off", rcl, True, "", None, "run-bigreads")
        c, f = br.get("cached", {}), br.get("cachefile", {})
        for temp, ours, base in (("from disk", "passthrough", "cold"), ("warm", "passthrough_warm", "warm")):
            met = med(c[ours]) / med(f[base]) >= 0.9 if c.get(ours) and f.get(base) else None
            t.add(f"Cached {size}, passthrough, {temp} (MB/s)", c.get(ours), "`dd` of the cache file",
                  f.get(base), True, "ratio ≥ 0.9", met, "run-bigreads")
        t.add(f"Cached {size}, --no-passthrough, warm (MB/s)", c.get("daemon_warm"), "passthrough",
              c.get("passthrough_warm"), True, "", None, "run-bigreads")
        t.add(f"Content requests of the cached reads of {size}", c.get("content_req"), "", None, False, "0",
              check(c.get("content_req"), "==", 0), "run-bigreads", "")
    # Listing
    fd = mount.get("find", {})
    cold_ratio = (med(fd.get("cold_s")) / med(fd.get("crawl_s"))) if fd.get("crawl_s") else None
    t.add(f"Cold `find`, {num(files)} files in {get(mount, 'tree', 'folders')} folders (s)", fd.get("cold_s"),
          "crawl", fd.get("crawl_s"), False, "ratio ≤ 1.2",
          None if cold_ratio is None else cold_ratio <= 1.2, "run-mount")
    t.add("API calls of that `find`", fd.get("cold_calls"), "crawl", fd.get("crawl_calls"), False,
          "≈ one per folder", None, "run-mount", "calls")
    t.add("Warm `find` within the TTL (s)", fd.get("warm_s"), "", None, False, "≤ 0.1 s",
          check(fd.get("warm_s"), "<=", 0.1), "run-mount")
    t.add("API calls of the warm `find`", fd.get("warm_calls"), "", None, False, "0",
          check(fd.get("warm_calls"), "==", 0), "run-mount")
    f20 = mount.get("find20", {})
    t.add(f"Cold `find` at {f20.get('latency_ms', 20)} ms per request (s)", f20.get("cold_s"), "crawl",
          f20.get("crawl_s"), False, "≤ 1.5 s", check(f20.get("cold_s"), "<=", 1.5), "run-mount")
    lst = sw.get("list", {})
    if lst:
        n = max(lst, key=int)
        L = lst[n]
        t.add(f"Cold `find`, {int(n):,} files (s)", L.get("docsfs_cold_s"), rc, L.get("rclone_cold_s"), False,
              "", None, "run-sweeps")
        t.add(f"Warm `find`, {int(n):,} files (s)", L.get("docsfs_warm_s"), rc, L.get("rclone_warm_s"), False,
              "", None, "run-sweeps")
    # Memory while reading
    rss = mount.get("rss", {})
    t.add(f"Peak RSS reading {gib(huge)} (MiB)", rss.get("huge_hwm_mib"), "", None, False, "≤ 64 MiB",
          check(rss.get("huge_hwm_mib"), "<=", 64), "run-mount", "MiB")
    if sizes:
        t.add(f"Peak RSS of the mount after a cold {gib(int(sizes[-1]))} read (MiB)",
              get(sw, "rss", "docsfs_read_mib"), rc, get(sw, "rss", "rclone_read_mib"), False, "", None,
              "run-sweeps", "MiB")
    # Writes
    wr = writes.get("write", {})
    wratio = (med(wr["docsfs"]) / med(wr["curl"])) if wr.get("curl") else None
    t.add(f"Sequential write of {gib(wbig)}, close after upload (MB/s)", wr.get("docsfs"), "curl upload",
          wr.get("curl"), True, "ratio ≥ 0.7", None if wratio is None else wratio >= 0.7, "run-writes")
    if get(sw, "write", "docsfs"):
        t.add(f"Sequential write of {gib(cfg.get('write_mib'))}, close after upload (MB/s)",
              get(sw, "write", "docsfs"), rc, get(sw, "write", "rclone"), True, "", None, "run-sweeps")
    rs = writes.get("rsync", {})
    t.add(f"`rsync -a` of {num(rs.get('files'))} small files (files/s)", rs.get("files_per_s"), "", None,
          True, "≥ 150 files/s", check(rs.get("files_per_s"), ">=", 150), "run-writes")
    t.add("Files at the server when rsync returned", rs.get("at_server"), "of", rs.get("files"), True, "all",
          None if rs.get("at_server") is None else rs.get("at_server") == rs.get("files"), "run-writes", "")
    t.add("Second `rsync -a`: files sent", rs.get("second_sent"), "", None, False, "0",
          check(rs.get("second_sent"), "==", 0), "run-writes")
    t.add("Second `rsync -a` (s)", rs.get("second_s"), "", None, False, "", None, "run-writes")
    srs = sw.get("rsync", {})
    both = [n for n in srs if "rclone" in srs[n]]
    if both:
        n = max(both, key=int)
        d, r = srs[n]["docsfs"], srs[n]["rclone"]
        t.add(f"`rsync -a` of {int(n):,} small files (files/s)", d["files_per_s"], "rclone", r["files_per_s"],
              True, "", None, "run-sweeps")
        t.add(f"Second `rsync -a` of {int(n):,} files: files sent", d["second_sent"], "rclone",
              r["second_sent"], False, "", None, "run-sweeps", "")
        t.add(f"Second `rsync -a` of {int(n):,} files (s)", d["second_s"], "rclone", r["second_s"], False, "",
              None, "run-sweeps")
    elif srs:
        n = max(srs, key=int)
        t.add(f"`rsync -a` of {int(n):,} small files (files/s)", srs[n]["docsfs"]["files_per_s"], rc, None,
              True, "", None, "run-sweeps")
    # Write-back at latency vs rclone --vfs-cache-mode writes behind bench/delayproxy.py
    wb = res.get("writeback", {})
    if wb:
        n = num(wb.get("files"))
        for lat in ("0", "20"):
            rcl = get(wb, "rclone", lat) or {}
            for backend in ("workdocs", "logicaldoc"):
                b = get(wb, backend, lat) or {}
                if not b.get("e2e"):
                    continue
                name = "WorkDocs" if backend == "workdocs" else "LogicalDOC"
                met = None
                if lat == "20" and rcl.get("e2e"):
                    met = med(rcl["e2e"]) / med(b["e2e"]) >= 5
                t.add(f"`rsync -a` of {n} small files, end to end (all at the server), {name}, {lat} ms (s)",
                      b["e2e"], "rclone, cache writes" if rcl else "rclone: not installed", rcl.get("e2e"),
                      False, "rclone ≥ 5× (ratio ≤ 0.2)" if lat == "20" else "", met, "run-writeback")
                t.add(f"… until rsync returned, {name}, {lat} ms (s)", b.get("rsync"), "rclone", rcl.get("rsync"),
                      False, "", None, "run-writeback")
                t.add(f"Requests per rsync'd file, {name}, {lat} ms (all)", b.get("req"), "rclone", rcl.get("req"),
                      False, "", None, "run-writeback", "calls")
                t.add(f"… of them about files (folder creation and listings left out), {name}, {lat} ms",
                      b.get("file_req"), "", None, False, "≤ 3" if backend == "workdocs" else "",
                      check(b.get("file_req"), "<=", 3) if backend == "workdocs" else None, "run-writeback", "")
                t.add(f"Second `rsync -a`, {name}, {lat} ms: files sent", b.get("second"), "", None, False, "0",
                      check(b.get("second"), "==", 0), "run-writeback", "")
                t16 = get(wb, backend, "t16", lat) or {}
                if t16.get("e2e"):
                    t.add(f"… the same with `--transfers 16`, {name}, {lat} ms (s)", t16["e2e"],
                          "rclone, cache writes", rcl.get("e2e"), False, "", None, "run-writeback")
        big = wb.get("big", {})
        if big.get("docsfs"):
            size = wb.get("big_mib", 1024)
            mbps = lambda runs: [size * 1048576 / s / 1e6 for s in runs]
            ratio = med(big["curl"]) / med(big["docsfs"]) if big.get("curl") else None
            t.add(f"Write of {gib(size)} end to end (until activated), 20 ms (MB/s)", mbps(big["docsfs"]),
                  "curl upload", mbps(big["curl"]) if big.get("curl") else None, True, "ratio ≥ 0.9",
                  None if ratio is None else ratio >= 0.9, "run-writeback")
    wrss = writes.get("rss", {})
    t.add(f"Peak RSS writing {gib(whuge)} (MiB)", wrss.get("hwm_mib"), "", None, False, "< 64 MiB",
          check(wrss.get("hwm_mib"), "<", 64), "run-writes", "MiB")

    # --- header
    loads = [(name, get(res, part, "load")) for name, part in
             (("run-mount", "mount"), ("run-writes", "writes"), ("run-sweeps", "sweeps"),
              ("run-treereads", "treereads"), ("run-bigreads", "bigreads"), ("run-writeback", "writeback"))]
    total_other = sum(l["other_cpu_s"] for _, l in loads if l)
    limit = meta.get("max_other_cpu", 5)
    disturbed = [name for name, l in loads if l and l["other_cpu_s"] > limit]
    out = ["# docsfs benchmark report", ""]
    if meta.get("quick"):
        out += ["> **Quick run** (`DOCSFS_BENCH_QUICK=1`): small sizes, one run each; it checks the "
                "pipeline, its figures are not comparable with a full run.", ""]
    if disturbed:
        out += [f"> **Disturbed run:** other processes used more than {limit} CPU-seconds during "
                f"{', '.join(disturbed)}; those figures are not comparable with a quiet run.", ""]
    out += [
        f"- Date: {meta['date']}; `{meta['command']}` took {meta['total_min']:.0f} min "
        f"({', '.join(f'{k} {v:.1f}' for k, v in meta['phase_min'].items())} min).",
        f"- Machine: {meta['nproc']} CPUs (nproc; {meta['cpu']}), {meta['mem_gib']} GiB RAM, "
        f"Linux {meta['kernel']}.",
        f"- docsfs: commit {meta['commit']}, release build; {meta['curl']}, {meta['rsync']}, rclone: {rclone}.",
        f"- Other load: other processes used {total_other:.1f} CPU-seconds while this measured ("
        + "; ".join(f"{name}: {l['other_cpu_s']} s of {l['seconds']} s, {l['top']}" for name, l in loads if l)
        + f"); the benchmark ran at niceness {meta['niceness']}.",
        "- Method: server and mounts are separate processes on 127.0.0.1; every \"cold\" figure is a fresh "
        "mount process after `echo 3 > /proc/sys/vm/drop_caches`, every \"warm\" read a fresh mount with "
        "the server's file in the page cache, and with an empty content cache. MB = 10^6 bytes. Medians of "
        f"{reps} run(s) (every run is in [results.json](results.json)). The rows from `run-mount`, "
        "`run-writes`, `run-smallreads`, `run-treereads` and `run-bigreads` are measured as described in "
        "[bench/README.md](../README.md) (details: [mount.md](mount.md), [writes.md](writes.md), "
        "[smallreads.md](smallreads.md), [treereads.md](treereads.md), [bigreads.md](bigreads.md), "
        "[writeback.md](writeback.md)); "
        "the `run-sweeps` rows as below.",
        "- Baselines: **curl** of the document's signed download URL (reads) or the API's upload "
        "flow (writes); **crawl**: `bench/crawl.py`, a sequential DescribeFolderContents crawl; "
        + (f"**rclone** ({rclone}): `rclone mount --vfs-cache-mode off` of `rclone serve webdav` serving "
           "the same source tree from local disk, default options otherwise (reads stream, a write's close "
           "waits for its upload, as with docsfs). At a latency per request (`run-smallreads`, "
           "`run-treereads`), rclone talks to its server through `bench/delayproxy.py`, which adds the same "
           "delay to every HTTP request as `docsfs serve` adds to its own, and counts rclone's requests." if have_rclone else
           "**rclone**: not installed on this machine (`apt-get install rclone` adds those columns)."),
        "- docsfs / baseline: for MB/s and files/s above 1 means docsfs is faster; for seconds and MiB "
        "below 1 means docsfs is faster or smaller.",
    ]
    if have_rclone:
        notes = []
        if lst:
            n = max(lst, key=int)
            if lst[n].get("rclone_cold_s"):
                notes.append(f"its cold `find` of {int(n):,} files takes "
                             f"{med(lst[n]['rclone_cold_s']) / lst[n]['folders'] * 1000:.1f} ms per folder")
        if both:
            n = max(both, key=int)
            notes.append(f"its `rsync -a` {med(srs[n]['rclone']['seconds']) / int(n) * 1000:.0f} ms per file "
                         "(create, write, close, rename: several calls each)")
        out += [
            "- About rclone: its WebDAV backend spaces API calls at least 10 ms apart (its pacer, "
            "which 1.60 has no option for), so on loopback its listings and small-file writes "
            "measure that pacing more than the protocol" + (": " + "; ".join(notes) if notes else "") + ". "
            "With 10 ms or more of network round trip that pacing would cost little and the gap would "
            "narrow (not measured). It cannot set "
            "modification times on a plain WebDAV server (`vendor = other`), so every `rsync -a` sends "
            "every file again.",
        ]
    out += [
        "",
        t.markdown(),
        "",
        "## Plots",
        "",
        "![Sequential read throughput vs file size](read-throughput.svg)",
        "",
        "![find vs tree size](listing.svg)",
        "",
        "![rsync files/s vs tree size](rsync.svg)",
        "",
    ] + (["![cat of small files vs latency per request](smallreads.svg)", ""] if res.get("smallreads") else []) + (
        ["![rsync end to end vs latency per request](writeback.svg)", ""] if res.get("writeback") else []) + [
        "## Sweeps (`bench/run-sweeps`)",
        "",
        "One `docsfs serve --import` of files of "
        + ", ".join(f"{s} MiB" for s in sizes)
        + " (random bytes) and trees of "
        + ", ".join(f"{int(n):,}" for n in sorted(lst, key=int))
        + " small files (2–300 B, ~50 per folder)"
        + ("; `rclone serve webdav` serves the same source folder. " if have_rclone else ". ")
        + "Reads: `dd bs=1M` through the mount, timed by dd itself (open to close, without its ~5 ms process "
        "start-up), vs curl's `time_total`. Finds: `find DIR` on a fresh mount (cold) and at once again "
        "(warm). Writes: `dd bs=1M` of a file in the page cache into one mount of each, alternating. "
        "rsync: `rsync -a` into an empty folder of a fresh mount, timed until rsync exits, every file "
        "counted at the server; then `rsync -a --stats` again.",
        "",
    ]
    srd = sw.get("read", {})
    for temp, note in (("cold", "cold caches"), ("warm", "server cache warm")):
        if not srd.get(temp):
            continue
        out += [f"Reads, {note} (MB/s, median; all runs in results.json):", "",
                "| file size | docsfs mount | curl | rclone mount | docsfs / curl | docsfs / rclone |",
                "|---:|---:|---:|---:|---:|---:|"]
        for s in sizes:
            d, c, r = (med(get(srd, temp, k, str(s))) for k in ("docsfs", "curl", "rclone"))
            out.append(f"| {s} MiB | {num(d, 0)} | {num(c, 0)} | {num(r, 0)} | "
                       f"{num(d / c if d and c else None, 2)} | {num(d / r if d and r else None, 2)} |")
        out.append("")
    if lst:
        out += ["Listing (seconds, median; API calls of docsfs's cold find):", "",
                "| files (folders) | crawl | docsfs cold | calls | docsfs warm | rclone cold | rclone warm "
                "| docsfs cold / crawl | docsfs / rclone, cold | docsfs / rclone, warm |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n in sorted(lst, key=int):
            L = lst[n]
            cr, dc, dw = med(L["crawl_s"]), med(L["docsfs_cold_s"]), med(L["docsfs_warm_s"])
            rcd, rw = med(L.get("rclone_cold_s")), med(L.get("rclone_warm_s"))
            out.append(f"| {int(n):,} ({L['folders']}) | {num(cr, 3)} | {num(dc, 3)} | "
                       f"{num(med(L['docsfs_cold_calls']), 0)} | {num(dw, 3)} | {num(rcd, 3)} | {num(rw, 3)} | "
                       f"{num(dc / cr, 2)} | {num(dc / rcd if rcd else None, 2)} | "
                       f"{num(dw / rw if rw else None, 2)} |")
        out.append("")
        if sw.get("list_floor_s"):
            out += [f"Every `find` figure includes find's own start-up: {med(sw['list_floor_s']) * 1000:.1f} ms "
                    "for an empty local folder, timed the same way. The crawl is timed inside Python.", ""]
    if get(sw, "write", "docsfs"):
        d, r = med(sw["write"]["docsfs"]), med(get(sw, "write", "rclone"))
        out += [f"Sequential write of {gib(cfg.get('write_mib'))} (MB/s): docsfs {runs(sw['write']['docsfs'], 0)}"
                + (f"; rclone {runs(sw['write']['rclone'], 0)}; ratio of the medians {d / r:.2f}." if r else "."),
                ""]
    if srs:
        out += ["`rsync -a` (first run: seconds and files/s; second run: seconds and files sent; docsfs: "
                f"median of {reps} run(s) for all but the largest tree, rclone: one run):", "",
                "| files | docsfs | docsfs files/s | docsfs 2nd run | rclone | rclone files/s | rclone 2nd run "
                "| files/s docsfs / rclone |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n in sorted(srs, key=int):
            d, r = srs[n]["docsfs"], srs[n].get("rclone")
            rcells = (f"{num(med(r['seconds']), 2)} s | {num(r['files_per_s'], 0)} | "
                      f"{num(med(r['second_s']), 2)} s, {num(med(r['second_sent']))} sent | "
                      f"{num(d['files_per_s'] / r['files_per_s'], 1)}") if r else \
                ("not run (more than DOCSFS_BENCH_RCLONE_RSYNC_MAX) | | |" if have_rclone else "— | | |")
            out.append(f"| {int(n):,} | {num(med(d['seconds']), 2)} s | {num(d['files_per_s'], 0)} | "
                       f"{num(med(d['second_s']), 2)} s, {num(med(d['second_sent']))} sent | {rcells} |")
        out.append("")
        w = sw.get("rsync_rclone_writes")
        if w:
            out += [f"rclone with `--vfs-cache-mode writes` (its recommendation for WebDAV): `rsync -a` of "
                    f"{w['files']:,} files returned after {w['returned_s']:.2f} s, while the uploads, after "
                    f"the 5 s `--vfs-write-back` delay, had all reached the server after "
                    f"{w['all_at_server_s']:.1f} s ({w['files_per_s']:.0f} files/s).", ""]
    print("\n".join(out).rstrip() + "\n")


if __name__ == "__main__":
    main()
