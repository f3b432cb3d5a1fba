"""heapdiff export and heapdiff report on a big snapshot: time, peak memory and file size, against a command
that loads the same snapshot and graph (heapdiff top), in the same run.

Run by hand (not a test), with heapdiff importable and the `heapdiff` command beside the
running Python:

    python bench/bench_export.py --objects 1000000 [--repeat 2]

A child process builds a heap of N gc-tracked objects (heap_builder.py) with tracemalloc
tracing (so that both formats have something to export) and dumps it. Then, best of
--repeat: `heapdiff top SNAP --json` (the baseline: load, graph, retained sizes),
`heapdiff export SNAP --format chrome` and `--format speedscope`, and `heapdiff report SNAP`
(the HTML page: its tables are capped at --rows, 500, so its size does not grow with the heap).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import sys, tracemalloc
sys.path.insert(0, {here!r})
import heapdiff
from heap_builder import build_heap
tracemalloc.start(10)
heap = build_heap({n})
heapdiff.dump({snap!r})
"""


def cli():
    beside = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    return beside if os.path.exists(beside) else "heapdiff"


def best(args, repeat):
    """Best wall time of `repeat` runs and the largest peak RSS (MiB) among them."""
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        if status != 0:
            raise SystemExit("%s failed (%s)" % (" ".join(args), status))
        peaks.append(usage.ru_maxrss / 1024)
    return min(times), max(peaks)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    o = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap = os.path.join(tmp, "heap.hds")
        subprocess.run([sys.executable, "-c", CHILD.format(here=HERE, n=o.objects, snap=snap)], check=True)
        print("N=%s gc-tracked objects, snapshot %.1f MiB" % (format(o.objects, ","), os.path.getsize(snap) / 2**20))
        top, top_peak = best([cli(), "top", snap, "--json"], o.repeat)
        print("%-40s %7.2f s  peak %6.0f MiB" % ("heapdiff top (baseline)", top, top_peak))
        for fmt, name in (("chrome", "heap.heapsnapshot"), ("speedscope", "heap.speedscope.json")):
            out = os.path.join(tmp, name)
            seconds, peak = best([cli(), "export", snap, "--format", fmt, "-o", out], o.repeat)
            print("%-40s %7.2f s  peak %6.0f MiB  %.2fx top's time  file %.1f MiB"
                  % ("heapdiff export --format " + fmt, seconds, peak, seconds / top, os.path.getsize(out) / 2**20))
        page = os.path.join(tmp, "report.html")
        seconds, peak = best([cli(), "report", snap, "-o", page], o.repeat)
        print("%-40s %7.2f s  peak %6.0f MiB  %.2fx top's time  file %.2f MiB"
              % ("heapdiff report", seconds, peak, seconds / top, os.path.getsize(page) / 2**20))


if __name__ == "__main__":
    main()
