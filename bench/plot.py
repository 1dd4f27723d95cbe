#!/usr/bin/env python3
"""SVG plots of bench/run's raw results, with the standard library only (hand-written SVG).

Usage: plot.py RESULTS_JSON OUT_DIR

Reads results.json (written by bench/run) and writes, into OUT_DIR:
  read-throughput.svg  sequential read MB/s vs file size (log x): docsfs mount, curl, rclone mount,
                       cold (solid) and server cache warm (dashed); bars span the runs
  listing.svg          `find` seconds vs files in the tree (log-log): docsfs cold / warm, the API
                       crawl, rclone cold / warm
  rsync.svg            `rsync -a` files/s vs files in the tree (log-log): docsfs, rclone
  smallreads.svg       `cat` of 300 small files vs latency per request (log y): docsfs cold and
                       after a remount, the plain keep-alive client, per API, and rclone mount
                       behind bench/delayproxy.py (when measured)
Plots can be regenerated without measuring again: `python3 bench/plot.py bench/results/results.json
bench/results`.
"""

import json
import math
import os
import statistics
import sys
from xml.sax.saxutils import escape

BLUE, GREY, ORANGE, GREEN = "#1f5fa8", "#6b6b6b", "#e0701b", "#2e8b3a"
FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""


def nice_linear_ticks(hi, count=6):
    """Round tick values from 0 to at least hi."""
    if hi <= 0:
        return [0, 1]
    raw = hi / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks, v = [], 0.0
    while v < hi + step * 0.999:
        ticks.append(v)
        v += step
    return ticks


def log_ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi] (log axis); the range is widened to those ticks."""
    ticks = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2):
        for m in (1, 2, 5):
            ticks.append(m * 10 ** e)
    below = [t for t in ticks if t <= lo]
    above = [t for t in ticks if t >= hi]
    first, last = below[-1] if below else ticks[0], above[0] if above else ticks[-1]
    ticks = [t for t in ticks if first <= t <= last]
    if len(ticks) > 9:  # decades only, when 1-2-5 would crowd the axis
        ticks = [t for t in ticks if f"{t:g}".lstrip("0.").startswith("1")]
        ticks = sorted(set([first] + ticks + [last]))
    return ticks


def fmt(v):
    if v >= 10000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


class Chart:
    """One line chart: log or linear axes, series of (x, y, lo, hi) points, legend on the right."""

    def __init__(self, title, subtitle, xlabel, ylabel, xlog=True, ylog=False,
                 width=820, height=480):
        self.title, self.subtitle = title, subtitle
        self.xlabel, self.ylabel = xlabel, ylabel
        self.xlog, self.ylog = xlog, ylog
        self.w, self.h = width, height
        self.left, self.right = 78, 215
        self.top = 40 + 16 * len(subtitle.split("\n"))
        self.bottom = 62
        self.series = []
        self.xticks = None  # [(value, label)]
        self.legend = None  # [(label, color, dashed, hollow, marker)]; default: one per series

    def add(self, label, points, color, dashed=False, hollow=False, values=False):
        """points: [(x, y, lo, hi)], lo/hi may be None."""
        points = [p for p in points if p[1] is not None]
        if points:
            self.series.append(dict(label=label, points=points, color=color, dashed=dashed,
                                    hollow=hollow, values=values))

    def _scale(self, lo, hi, log, a, b):
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
            return lambda v: a + (math.log10(v) - lo) / (hi - lo or 1) * (b - a)
        return lambda v: a + (v - lo) / (hi - lo or 1) * (b - a)

    def svg(self):
        xs = [p[0] for s in self.series for p in s["points"]]
        ys = [v for s in self.series for p in s["points"] for v in (p[1], p[2], p[3]) if v]
        if not xs:
            xs, ys = [1, 10], [1, 10]
        x0, x1 = self.left, self.w - self.right
        y0, y1 = self.h - self.bottom, self.top
        if self.xticks:
            xt = self.xticks
            xlo, xhi = min(v for v, _ in xt), max(v for v, _ in xt)
        else:
            xlo, xhi = min(xs), max(xs)
            xt = [(t, fmt(t)) for t in (log_ticks(xlo, xhi) if self.xlog else nice_linear_ticks(xhi))]
            xlo, xhi = xt[0][0], xt[-1][0]
        pad = 0.04 * (x1 - x0)  # keep the end points off the frame
        fx = self._scale(xlo, xhi, self.xlog, x0 + pad, x1 - pad)
        if self.ylog:  # room for the labels above and below the points
            yt = log_ticks(min(ys) / 1.5, max(ys) * 1.15)
        else:
            yt = nice_linear_ticks(max(ys) * 1.05)
        fy = self._scale(yt[0], yt[-1], self.ylog, y0, y1)

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
               f'viewBox="0 0 {self.w} {self.h}" {FONT} font-size="12">',
               f'<rect width="{self.w}" height="{self.h}" fill="white"/>',
               f'<text x="{x0}" y="24" font-size="16" font-weight="bold">{escape(self.title)}</text>',
               ] + [f'<text x="{x0}" y="{43 + 15 * k}" font-size="11.5" fill="#444">{escape(line)}</text>'
                    for k, line in enumerate(self.subtitle.split("\n"))]
        # grid and ticks
        for v in yt:
            y = fy(v)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e3e3e3"/>')
            out.append(f'<text x="{x0 - 7}" y="{y + 4:.1f}" text-anchor="end">{fmt(v)}</text>')
        for v, label in xt:
            x = fx(v)
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" stroke="#eeeeee"/>')
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 5}" stroke="#333"/>')
            for k, part in enumerate(label.split("\n")):
                size = 12 if k == 0 else 10.5
                out.append(f'<text x="{x:.1f}" y="{y0 + 18 + 13 * k}" text-anchor="middle" '
                           f'font-size="{size}" fill="{"#000" if k == 0 else "#555"}">{escape(part)}</text>')
        out.append(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#333"/>')
        out.append(f'<text x="{(x0 + x1) / 2}" y="{self.h - 10}" text-anchor="middle">{escape(self.xlabel)}</text>')
        out.append(f'<text transform="translate(18 {(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">'
                   f'{escape(self.ylabel)}</text>')
        # series
        for s in self.series:
            pts = sorted(s["points"])
            dash = ' stroke-dasharray="7 4"' if s["dashed"] else ""
            path = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y, _, _ in pts)
            if len(pts) > 1:
                out.append(f'<polyline points="{path}" fill="none" stroke="{s["color"]}" '
                           f'stroke-width="2.2"{dash}/>')
            for x, y, lo, hi in pts:
                if lo is not None and hi is not None and hi > lo:
                    out.append(f'<line x1="{fx(x):.1f}" y1="{fy(lo):.1f}" x2="{fx(x):.1f}" '
                               f'y2="{fy(hi):.1f}" stroke="{s["color"]}" stroke-width="1.2" opacity="0.6"/>')
                fill = "white" if s["hollow"] or s["dashed"] else s["color"]
                out.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="3.6" fill="{fill}" '
                           f'stroke="{s["color"]}" stroke-width="1.8"/>')
                if s["values"]:  # above the point; below it for hollow markers
                    ty = fy(y) + 17 if s["hollow"] else fy(y) - 8
                    out.append(f'<text x="{fx(x):.1f}" y="{ty:.1f}" font-size="11" text-anchor="middle" '
                               f'fill="{s["color"]}">{fmt(y)}</text>')
        # legend
        legend = self.legend or [(s["label"], s["color"], s["dashed"], s["hollow"], True)
                                 for s in self.series]
        lx, ly = x1 + 16, y1 + 6
        for label, color, dashed, hollow, marker in legend:
            if label is None:  # a gap
                ly += 8
                continue
            dash = ' stroke-dasharray="7 4"' if dashed else ""
            fill = "white" if hollow or dashed else color
            out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{color}" '
                       f'stroke-width="2.2"{dash}/>')
            if marker:
                out.append(f'<circle cx="{lx + 14}" cy="{ly}" r="3.6" fill="{fill}" stroke="{color}" '
                           f'stroke-width="1.8"/>')
            lines = label.split("\n")
            for k, part in enumerate(lines):
                out.append(f'<text x="{lx + 36}" y="{ly + 4 + 14 * k}" font-size="{12 if k == 0 else 10.5}" '
                           f'fill="{"#000" if k == 0 else "#555"}">{escape(part)}</text>')
            ly += 14 * len(lines) + 12
        out.append("</svg>")
        return "\n".join(out) + "\n"


def stats(runs):
    """(median, min, max) of a list of runs, or (None, None, None)."""
    runs = [r for r in runs or [] if r is not None]
    if not runs:
        return None, None, None
    return statistics.median(runs), min(runs), max(runs)


def machine(meta):
    return (f"{meta.get('nproc', '?')} CPUs, Linux {meta.get('kernel', '?')}, "
            f"commit {meta.get('commit', '?')}, {meta.get('date', '?')[:10]}")


def read_chart(res):
    sw = res["sweeps"]
    sizes = sw["config"]["read_sizes_mib"]
    reps = sw["config"]["reps"]
    ch = Chart("Sequential read throughput vs file size",
               f"dd bs=1M through a fresh mount vs curl of the signed URL; median of {reps} run(s), "
               f"bars: min–max\n{machine(res['meta'])}",
               "file size (MiB, log scale)", "MB/s (10^6 bytes/s)", xlog=True)
    ch.xticks = [(s, f"{s:g}") for s in sizes]
    names = {"docsfs": ("docsfs mount", BLUE), "curl": ("curl (signed URL)", GREY),
             "rclone": ("rclone mount\n(webdav, cache off)", ORANGE)}
    ch.legend = []
    for client, (label, color) in names.items():
        if sw.get("read", {}).get("cold", {}).get(client):
            ch.legend.append((label, color, False, False, True))
    ch.legend += [(None,) * 5, ("cold caches", "#333", False, False, False),
                  ("server cache warm", "#333", True, False, False)]
    for temp, dashed in (("cold", False), ("warm", True)):
        for client, (label, color) in names.items():
            runs = sw.get("read", {}).get(temp, {}).get(client)
            if runs:
                ch.add(f"{label}, {temp}", [(s, *stats(runs.get(str(s)))) for s in sizes], color,
                       dashed=dashed)
    return ch


def listing_chart(res):
    sw = res["sweeps"]
    lst = sw.get("list", {})
    trees = sorted(lst, key=int)
    reps = sw["config"]["reps"]
    ch = Chart("Listing a tree: find vs an API crawl",
               f"find DIR on a fresh mount (cold), then again (warm); crawl: bench/crawl.py; "
               f"median of {reps} run(s)\n{machine(res['meta'])}",
               "files in the tree (log scale)", "seconds (log scale)", xlog=True, ylog=True)
    ch.xticks = [(int(n), f"{int(n):,}\n{lst[n]['folders']} folders") for n in trees]
    series = (("docsfs_cold_s", "docsfs mount, cold", BLUE, False),
              ("docsfs_warm_s", "docsfs mount, warm", BLUE, True),
              ("crawl_s", "API crawl (sequential)", GREY, False),
              ("rclone_cold_s", "rclone mount, cold", ORANGE, False),
              ("rclone_warm_s", "rclone mount, warm", ORANGE, True))
    for key, label, color, dashed in series:
        pts = [(int(n), *stats(lst[n].get(key))) for n in trees if lst[n].get(key)]
        ch.add(label, pts, color, dashed=dashed)
    return ch


def rsync_chart(res):
    sw = res["sweeps"]
    rs = sw.get("rsync", {})
    trees = sorted(rs, key=int)
    folders = {n: sw.get("list", {}).get(n, {}).get("folders") for n in trees}
    ch = Chart("rsync -a into the mount: files per second (first run)",
               f"first run into an empty folder of a fresh mount, timed until rsync exits; every file is\n"
               f"at the server by then, except with rclone's cache writes; docsfs: median, bars: min–max\n"
               f"{machine(res['meta'])}",
               "files in the tree (log scale)", "files/s (log scale)", xlog=True, ylog=True)
    ch.xticks = [(int(n), f"{int(n):,}" + (f"\n{folders[n]} folders" if folders[n] else "")) for n in trees]
    for client, label, color in (("docsfs", "docsfs mount", BLUE),
                                 ("rclone", "rclone mount\n(webdav, cache off)", ORANGE)):
        pts = []
        for n in trees:
            if client in rs[n]:
                secs = rs[n][client]["seconds"]
                secs = secs if isinstance(secs, list) else [secs]
                pts.append((int(n), rs[n][client]["files_per_s"], int(n) / max(secs), int(n) / min(secs)))
        ch.add(label, pts, color, values=True)
    w = sw.get("rsync_rclone_writes")
    if w:
        ch.add("rclone mount, cache writes\n(until all at the server)", [
            (w["files"], w["files_per_s"], None, None)], ORANGE, hollow=True, values=True)
    return ch


def smallreads_chart(res):
    sr = res["smallreads"]
    ch = Chart(f"cat of {sr.get('files', '?')} small files vs latency per request",
               "ls -R first (untimed); docsfs cold = fresh mount, empty content cache; after a remount =\n"
               "same cache folder, page cache dropped; plain client = bench/readall.py on one keep-alive\n"
               f"connection; median, bars: min–max; {machine(res['meta'])}",
               "latency added to every request", "seconds (log scale)", xlog=False, ylog=True)
    lats = sorted({int(lat) for b in ("workdocs", "logicaldoc") for lat in sr.get(b, {})})
    ch.xticks = [(lat, f"{lat} ms") for lat in lats]
    series = (("workdocs", "cold", "docsfs cold, WorkDocs", BLUE, False),
              ("logicaldoc", "cold", "docsfs cold, LogicalDOC", BLUE, True),
              ("workdocs", "plain", "plain client, WorkDocs", GREY, False),
              ("logicaldoc", "plain", "plain client, LogicalDOC", GREY, True),
              ("workdocs", "cached", "docsfs after a remount,\nWorkDocs", GREEN, False),
              ("rclone", "off", "rclone mount, cache off\n(via delayproxy.py)", ORANGE, False))
    for backend, key, label, color, dashed in series:
        pts = []
        for lat in lats:
            med, lo, hi = stats(sr.get(backend, {}).get(str(lat), {}).get(key))
            if med is not None:
                pts.append((lat, med, lo, hi))
        ch.add(label, pts, color, dashed=dashed, values=not dashed)
    return ch


def writeback_chart(res):
    wb = res["writeback"]
    files = wb.get("files", 0)
    ch = Chart(f"rsync -a of {files} small files into the mount, end to end, vs latency per request",
               "until every file is at the server; docsfs: write-back (300 ms delay, 8 transfers);\n"
               "rclone mount --vfs-cache-mode writes (same delay and transfers) via delayproxy.py;\n"
               f"median, bars: min–max; {machine(res['meta'])}",
               "latency added to every request", "files per second (log scale)", xlog=False, ylog=True)
    lats = sorted({int(lat) for b in ("workdocs", "logicaldoc") for lat in wb.get(b, {}) if lat.isdigit()})
    ch.xticks = [(lat, f"{lat} ms") for lat in lats]
    series = (("workdocs", None, "docsfs, WorkDocs", BLUE, False),
              ("logicaldoc", None, "docsfs, LogicalDOC", BLUE, True),
              ("workdocs", "t16", "docsfs, WorkDocs,\n--transfers 16", GREEN, False),
              ("rclone", None, "rclone mount, cache writes\n(via delayproxy.py)", ORANGE, False))
    for backend, variant, label, color, dashed in series:
        pts = []
        for lat in lats:
            node = wb.get(backend, {})
            if variant:
                node = node.get(variant, {})
            runs = node.get(str(lat), {}).get("e2e")
            if runs:
                med, lo, hi = stats([files / s for s in runs])
                pts.append((lat, med, lo, hi))
        ch.add(label, pts, color, dashed=dashed, values=not dashed)
    return ch


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        res = json.load(f)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    charts = [("read-throughput.svg", read_chart), ("listing.svg", listing_chart),
              ("rsync.svg", rsync_chart)]
    if res.get("smallreads"):
        charts.append(("smallreads.svg", smallreads_chart))
    if res.get("writeback"):
        charts.append(("writeback.svg", writeback_chart))
    for name, make in charts:
        path = os.path.join(out, name)
        with open(path, "w") as f:
            f.write(make(res).svg())
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
