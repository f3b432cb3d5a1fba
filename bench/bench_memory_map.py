"""What the memory map (docs/FORMAT.md's MAPS, PYAR, PYSC, MALA sections) adds to a dump.

Run by hand (not a test), from a venv where heapdiff is installed:

    python bench/bench_memory_map.py                          # N = 1M gc-tracked objects
    python bench/bench_memory_map.py --repeat 5 --wait-quiet 300
    python bench/bench_memory_map.py --baseline-python build/venv-prev/bin/python

For each N, a child process builds bench/heap_builder.py's heap of N gc-tracked objects
(about 2.3 N objects in all), then dumps it `--repeat` times without tracemalloc. The map
has no switch: the probe reads it first (smaps, pymalloc's arenas with mincore, malloc's
figures) and times that itself (fact memory.map_seconds, inside probe.seconds), so its share
comes from the same dumps: map / probe.seconds (its part of the dump) and map / (probe.seconds
- map) (what it adds to a dump without it). Target: at most 5% (issue 24: "the probe's extra
cost for the map ... <= 5% of a 1M-object dump"). The time to write the map's rows into the
file (a few hundred rows, after the walk) is not in the fact; the file sizes show how big
they are.

--baseline-python: a Python whose heapdiff is a probe without the map (built from the commit
before it, e.g. `git archive 0468214`): the same child there gives a wall-time comparison of
whole dumps, noisier than the fact (two processes, two heaps) but independent of it.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from machine import cpu_ticks, others_cores, wait_quiet  # noqa: E402

TARGET = 0.05

CHILD = r"""
import array, json, os, sys, time
sys.path.insert(0, %(here)r)
import heapdiff
from heapdiff import _probe
from heap_builder import build_heap
from machine import cpu_ticks, others_cores, wait_quiet
heap = build_heap(%(n)d)
if %(wait)d:
    wait_quiet(%(wait)d)
rows = []
for i in range(%(repeat)d):
    path = %(path)r
    ticks, cpu, t = cpu_ticks(), time.process_time(), time.perf_counter()
    heapdiff.dump(path, tracebacks=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    data = _probe.read_snapshot(path, [])
    facts = data["facts"]
    rows.append({"wall": wall, "cpu": cpu, "others": others_cores(ticks, cpu_ticks(), cpu, wall),
                 "probe": facts.get("probe.seconds"), "map": facts.get("memory.map_seconds"),
                 "objects": len(array.array("Q", data["addresses"])), "file": os.path.getsize(path),
                 "rss": facts.get("process.rss")})
    os.unlink(path)
print(json.dumps({"version": heapdiff.__version__, "rows": rows}))
"""


def run(python, n, repeat, wait):
    with tempfile.TemporaryDirectory() as tmp:
        code = CHILD % {"here": HERE, "n": n, "repeat": repeat, "wait": wait, "path": os.path.join(tmp, "map.hds")}
        r = subprocess.run([python, "-c", code], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline-python", help="a Python whose heapdiff probe has no memory map")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="SECONDS")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    print("heapdiff memory-map benchmark, %s, Python %s, %d cores%s"
          % (time.strftime("%Y-%m-%dT%H:%M:%S"), platform.python_version(), os.cpu_count(),
             ", " + args.note if args.note else ""))
    out = []
    for n in args.sizes:
        child = run(sys.executable, n, args.repeat, args.wait_quiet)
        rows = child["rows"]
        if any(r["map"] is None for r in rows):
            sys.exit("this heapdiff (%s) writes no memory.map_seconds: not a probe with the map" % child["version"])
        maps = [r["map"] for r in rows]
        probes = [r["probe"] for r in rows]
        share = statistics.median(m / p for m, p in zip(maps, probes))
        extra = statistics.median(m / (p - m) for m, p in zip(maps, probes))
        print("N=%s gc-tracked, %s objects in the snapshot, file %.1f MiB, RSS %.0f MiB"
              % (f"{n:,}", f"{rows[0]['objects']:,}", rows[0]["file"] / 2**20, (rows[0]["rss"] or 0) / 2**20))
        print("  dumps (probe.seconds): %s s; the map's part (memory.map_seconds): %s s"
              % (" ".join("%.3f" % p for p in probes), " ".join("%.4f" % m for m in maps)))
        print("  others (cores): %s" % " ".join("%.1f" % r["others"] for r in rows))
        print("  map / dump %.2f%%, map / dump without it +%.2f%% (median; target <= %d%%) %s"
              % (100 * share, 100 * extra, 100 * TARGET, "met" if extra <= TARGET else "MISSED"))
        entry = {"n": n, "objects": rows[0]["objects"], "probe_s": probes, "map_s": maps, "share": share,
                 "extra": extra, "rows": rows}
        if args.baseline_python:
            base = run(args.baseline_python, n, args.repeat, args.wait_quiet)["rows"]
            with_map = min(r["wall"] for r in rows)
            without = min(r["wall"] for r in base)
            print("  whole dumps, best wall: %.3f s with the map, %.3f s without (%s): %.3fx; files %.2f vs %.2f MiB"
                  % (with_map, without, args.baseline_python, with_map / without, rows[0]["file"] / 2**20,
                     base[0]["file"] / 2**20))
            print("  baseline walls: %s s, others %s" % (" ".join("%.3f" % r["wall"] for r in base),
                                                           " ".join("%.1f" % r["others"] for r in base)))
            entry.update(baseline_wall=[r["wall"] for r in base], wall=[r["wall"] for r in rows],
                         baseline_file=base[0]["file"])
        out.append(entry)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
