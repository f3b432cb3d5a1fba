"""How long a dump pauses a busy service: forked (`dump(fork=True)`) against in-process.

Starts a service with a synthetic heap of N gc-tracked objects (heap_builder) whose main
thread ticks every 2 ms and records the longest gap between two ticks, while 2 other threads
allocate (lists of 1000 small dicts, freed at once, then 1 ms of sleep as a request's I/O;
--busy: no sleep). Then, in the same run and on the
same heap, alternately:
  1. in-process: the main thread calls heapdiff.dump() (the walk stops everything);
  2. forked:     the main thread calls heapdiff.dump(fork=True) and goes on ticking until the
                 child has written the file (the walk runs in the copy).
Prints, for each: the longest tick gap (what the service's clients would notice), the dump's
own time (in-process: the walk; forked: the parent's pause for the fork, and the child's
walk), the parent's RSS growth (in-process: peak over the dump, VmHWM after clear_refs;
forked: the largest RSS the parent reached while the child ran, sampled each tick), and the
child's Private_Dirty after its walk (fact probe.child_private_dirty: the pages the copy
cost). Also the longest gap with no dump at all (the floor the allocating threads make).

    build/venv-3.11.7/bin/python bench/bench_pause.py --objects 1000000
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

SERVICE = r"""
import json, os, sys, threading, time
sys.path.insert(0, %(here)r)
from heap_builder import build_heap
import heapdiff
heap = build_heap(%(n)d)
work, repeat, busy = %(work)r, %(repeat)d, %(busy)r
PAGE = os.sysconf("SC_PAGE_SIZE")

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS

def peak():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

stop = False
def churn():
    # A request's worth of allocation, then a wait as for I/O: with threads that never
    # wait, the GIL hand-offs alone (5 ms switch interval, 3 threads) make tick gaps of
    # 50-100 ms with no dump at all (--busy keeps them so).
    while not stop:
        junk = [{"k": i} for i in range(1000)]
        del junk
        if not busy:
            time.sleep(0.001)
threads = [threading.Thread(target=churn, daemon=True) for _ in range(2)]
for t in threads:
    t.start()

def tick_until(done, then=0.2):
    # Ticks every 2 ms until done() (and `then` seconds more); returns the longest gap and
    # the largest RSS sampled.
    last = time.perf_counter()
    longest, top, end = 0.0, rss(), None
    while True:
        time.sleep(0.002)
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
        top = max(top, rss())
        if end is None and done():
            end = now + then
        if end is not None and now >= end:
            return longest, top

def idle():
    t0 = time.perf_counter()
    gap, _ = tick_until(lambda: time.perf_counter() - t0 > 2.0, then=0)
    return {"gap": gap}

def inproc(path):
    time.sleep(0.002)
    before = rss()
    reset_peak()
    t0 = time.perf_counter()
    heapdiff.dump(path, tracebacks=False)
    t1 = time.perf_counter()
    grow = peak() - before
    gap, _ = tick_until(lambda: True)
    return {"gap": max(gap, t1 - t0), "dump": t1 - t0, "rss_growth": grow, "bytes": os.path.getsize(path)}

def forked(path):
    time.sleep(0.002)
    before = rss()
    t0 = time.perf_counter()
    h = heapdiff.dump(path, tracebacks=False, fork=True)
    t1 = time.perf_counter()
    if h.pid is None:
        raise SystemExit("did not fork: %%s" %% h.why_not_forked)
    gap, top = tick_until(h.done)
    h.wait(0)
    f = h.figures
    return {"gap": max(gap, t1 - t0), "call": t1 - t0, "pause": h.pause_seconds, "walk": f["seconds"],
            "private_dirty": f["child_private_dirty"], "rss_growth": top - before, "rss": before,
            "bytes": os.path.getsize(path)}

out = {"version": sys.version.split()[0], "tracked": heap.tracked, "idle": [], "inproc": [], "forked": []}
for i in range(repeat):
    out["idle"].append(idle())
    out["inproc"].append(inproc(os.path.join(work, "inproc.hds")))
    out["forked"].append(forked(os.path.join(work, "forked.hds")))
stop = True
for t in threads:
    t.join()
print(json.dumps(out))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=1000000, help="gc-tracked objects in the service (default 1M)")
    ap.add_argument("--repeat", type=int, default=3, help="measurements of each kind (default 3; best gap kept)")
    ap.add_argument("--busy", action="store_true",
                    help="the allocating threads never wait (default: 1 ms of sleep after each 1000 dicts)")
    ap.add_argument("--json", help="write every figure there")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="heapdiff-bench-pause-")
    try:
        r = subprocess.run([sys.executable, "-W", "error", "-c",
                            SERVICE % dict(here=HERE, n=args.objects, work=work, repeat=args.repeat, busy=args.busy)],
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stderr:
            raise SystemExit("service failed (%d): %s" % (r.returncode, r.stderr.strip()))
        out = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    mib = 2.0**20
    idle = min(x["gap"] for x in out["idle"])
    ip = min(out["inproc"], key=lambda x: x["gap"])
    fk = min(out["forked"], key=lambda x: x["gap"])
    # Memory: the largest of the runs (the first in-process walk grows the heap, later ones
    # reuse what it freed), not the best gap's.
    ip_grow = max(x["rss_growth"] for x in out["inproc"])
    fk_grow = max(x["rss_growth"] for x in out["forked"])
    fk_dirty = max(x["private_dirty"] for x in out["forked"])
    print("CPython %s, %s gc-tracked objects (heap_builder), main thread ticking every 2 ms, 2 threads allocating"
          "%s; parent RSS %.0f MiB, snapshot %.1f MiB; best gap of %d each, memory the largest"
          % (out["version"], format(out["tracked"], ","), " (never waiting)" if args.busy else " (1 ms of sleep per 1000 dicts)", fk["rss"] / mib, fk["bytes"] / mib, len(out["forked"])))
    print("%-22s %12s %12s %12s %14s %16s" % ("", "longest gap", "pause", "walk", "parent RSS +", "child dirty"))
    print("%-22s %9.1f ms %12s %12s %14s %16s" % ("no dump", idle * 1000, "-", "-", "-", "-"))
    print("%-22s %9.1f ms %9.1f ms %9.1f ms %10.1f MiB %16s" % ("dump() in-process", ip["gap"] * 1000,
                                                               ip["dump"] * 1000, ip["dump"] * 1000,
                                                               ip_grow / mib, "-"))
    print("%-22s %9.1f ms %9.1f ms %9.1f ms %10.1f MiB %12.1f MiB" % ("dump(fork=True)", fk["gap"] * 1000,
                                                                     fk["pause"] * 1000, fk["walk"] * 1000,
                                                                     fk_grow / mib, fk_dirty / mib))
    print("forked / in-process longest gap: %.3fx (%.1fx shorter); forked gap / no-dump gap %.2fx;"
          " child's dirty pages %.1f%% of the parent's RSS"
          % (fk["gap"] / ip["gap"], ip["gap"] / fk["gap"], fk["gap"] / idle, 100.0 * fk_dirty / fk["rss"]))


if __name__ == "__main__":
    main()
