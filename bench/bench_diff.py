"""Benchmark `heapdiff diff A B` on two 10M-object snapshots, against tracemalloc and pympler.

Run by hand (not a test), from a venv where heapdiff and the bench extras are installed:

    python bench/bench_diff.py                         # 10M objects (type), 1M gc-tracked (traceback)
    python bench/bench_diff.py --objects 1000000 --traced-gc-objects 100000   # a quick run
    python bench/bench_diff.py --json build/bench/diff.json

Two child processes make the snapshot pairs (bench/heap_builder.py builds the heap):

  type pair       a heap of --objects objects in the snapshot (~4.3M gc-tracked for 10M) is
                  built and dumped to A (tracebacks=False); then every other root object of the heap
                  (half of it) is dropped, gc.collect(), and a heap of half the gc-tracked
                  objects is built again, and dumped to B: about half of B's objects were
                  already in A. Baseline in the same child: pympler's
                  tracker.SummaryTracker() is made right after dump A (its first summary) and
                  tracker.diff() is called right before dump B (timed: it takes the second
                  summary and compares; the comparison alone, summary.get_diff, is timed too).
  traceback pair  the same at --traced-gc-objects gc-tracked objects (default 1M, ~2.3M objects:
                  building under tracemalloc is ~20x slower), with tracemalloc.start(25) before
                  anything is built and dumps with tracebacks=True (the default of
                  heapdiff.dump). Baseline in the same child: tracemalloc.take_snapshot() right
                  before each heapdiff dump (timed), pickled to a file and dropped so that it is
                  not part of the heap dumped next; after dump B both are loaded and
                  B.compare_to(A, 'traceback') is timed with tracing still on (as a service
                  would call it), then once more after tracemalloc.stop().

Then the parent runs, each --repeat times, as subprocesses with their output to a temporary file:
  heapdiff summary A --json                          (one snapshot's analyzer footprint)
  heapdiff diff A B --json                           (type pair)
  heapdiff summary A --json, heapdiff diff A B --group-by traceback --json   (traceback pair)
For each run: wall time (perf_counter around the child, loading included), CPU time and peak
RSS of that child alone (os.wait4's rusage, i.e. getrusage of exactly that process; not
RUSAGE_CHILDREN of this parent, which includes the heap-building children), and the cores
other processes used meanwhile (bench/machine.py). Best wall time and worst peak are reported.
The snapshots are in the page cache (just written): warm-cache figures.

The baselines' "extra peak >=" is bench_probe.PeakMeter's VmHWM - VmRSS in the child: a lower
bound (memory freed earlier and still resident is reused without raising RSS; after the
heap was half freed, compare_to's allocations fit in freed pools and show as 0).

A table can be printed again from --json output:
    python -c "import sys, json; sys.path.insert(0, 'bench'); import bench_diff as b; \
               r = json.load(open('build/bench/diff.json')); b.report(r, r['note'])"
"""

import argparse
import datetime
import gc
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from machine import cpu_ticks, others_cores, wait_quiet  # noqa: E402

TARGET_SECONDS = 5.0          # diff of two 10M-object snapshots, loading included
TARGET_PEAK_RATIO = 2.0       # diff's peak RSS / summary's peak RSS of one snapshot
OBJECTS_PER_TRACKED = 2.32    # heap_builder's mix: snapshot objects / gc-tracked


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Children: build the heaps and dump the pairs

def _timed(fn):
    """(value, wall s, CPU s of this process, extra peak RSS bytes) of fn()."""
    from bench_probe import PeakMeter
    with PeakMeter() as m:
        cpu0 = time.process_time()
        start = time.perf_counter()
        value = fn()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    return value, wall, cpu, m.extra


def _dump(path, label, tracebacks):
    import heapdiff
    start = time.perf_counter()
    figures = heapdiff._probe.dump(path, label, tracebacks, heapdiff._PROBE_DIR)
    figures["wall"] = time.perf_counter() - start
    return figures


def _churn(heap):
    """Drop every other root in every chunk of the heap (about half its objects, spread
    over the whole heap) and collect the cycles. Returns the gc-tracked objects freed (by
    len(gc.get_objects())); a little under half, as peer cycles keep some records alive."""
    before = len(gc.get_objects())
    for chunk in heap.chunks:
        del chunk[::2]
    gc.collect()
    gc.collect()
    return before - len(gc.get_objects())


def phase_type(n_tracked, path_a, path_b, pympler_on):
    import heap_builder

    res = {"n": n_tracked}
    heap = heap_builder.build_heap(n_tracked)
    res["build_s"] = heap.seconds
    res["tracked"] = heap.tracked
    log("type pair: heap of %d gc-tracked objects built in %.1f s" % (heap.tracked, heap.seconds))
    res["dump_a"] = _dump(path_a, "bench_diff A", False)
    log("  dump A: %d objects, %.1f MB, %.1f s" % (res["dump_a"]["objects"], res["dump_a"]["file_bytes"] / 1e6,
                                                    res["dump_a"]["wall"]))
    tr = None
    if pympler_on:
        from pympler import tracker
        tr, wall, cpu, extra = _timed(tracker.SummaryTracker)
        res["pympler_first"] = dict(wall=wall, cpu=cpu, extra_peak=extra)
        log("  pympler SummaryTracker() (first summary): %.1f s, extra peak %.0f MiB" % (wall, extra / 2**20))

    res["freed_tracked"] = _churn(heap)
    again = heap_builder.build_heap(n_tracked // 2)
    res["rebuilt_tracked"] = again.tracked
    res["rebuild_s"] = again.seconds
    log("  freed %d gc-tracked objects, built %d again in %.1f s" % (
        res["freed_tracked"], again.tracked, again.seconds))

    if tr is not None:
        from pympler import summary
        s0 = tr.s0
        rows, wall, cpu, extra = _timed(tr.diff)
        res["pympler_diff"] = dict(wall=wall, cpu=cpu, extra_peak=extra, rows=len(rows),
                                   rows_changed=sum(1 for r in rows if r[1] or r[2]))
        s1 = tr.s1
        _, wall2, cpu2, _ = _timed(lambda: summary.get_diff(s0, s1))
        res["pympler_get_diff"] = dict(wall=wall2, cpu=cpu2)
        res["pympler_objects"] = sum(r[1] for r in s1)
        log("  pympler tracker.diff(): %.1f s (of which summary.get_diff %.3f s), %d rows, extra peak %.0f MiB"
            % (wall, wall2, len(rows), extra / 2**20))
        del tr, s0, s1, rows
        gc.collect()

    res["dump_b"] = _dump(path_b, "bench_diff B", False)
    log("  dump B: %d objects, %.1f MB, %.1f s" % (res["dump_b"]["objects"], res["dump_b"]["file_bytes"] / 1e6,
                                                    res["dump_b"]["wall"]))
    del heap, again
    return res


def phase_traced(n_tracked, path_a, path_b, out_dir, tm_on, keep):
    import tracemalloc
    tracemalloc.start(25)
    import heap_builder

    res = {"n": n_tracked}
    heap = heap_builder.build_heap(n_tracked)
    res["build_s"] = heap.seconds
    res["tracked"] = heap.tracked
    log("traceback pair: heap of %d gc-tracked objects built under tracemalloc(25) in %.1f s" % (
        heap.tracked, heap.seconds))

    tm_files = [os.path.join(out_dir, "diff-tm-%s.pickle" % x) for x in "AB"]

    def tm_snapshot(key, path):
        gc.collect()
        snap, wall, cpu, extra = _timed(tracemalloc.take_snapshot)
        res[key] = dict(wall=wall, cpu=cpu, extra_peak=extra, traces=len(snap.traces))
        log("  tracemalloc.take_snapshot(): %.1f s, %d traces, extra peak %.0f MiB" % (
            wall, len(snap.traces), extra / 2**20))
        snap.dump(path)   # to a file and dropped: not part of the heap dumped next

    if tm_on:
        tm_snapshot("tm_take_a", tm_files[0])
    res["dump_a"] = _dump(path_a, "bench_diff traced A", True)
    log("  dump A (tracebacks=True): %d objects, %.1f MB, %.1f s" % (
        res["dump_a"]["objects"], res["dump_a"]["file_bytes"] / 1e6, res["dump_a"]["wall"]))

    res["freed_tracked"] = _churn(heap)
    again = heap_builder.build_heap(n_tracked // 2)
    res["rebuilt_tracked"] = again.tracked
    res["rebuild_s"] = again.seconds
    log("  freed %d gc-tracked objects, built %d again in %.1f s" % (
        res["freed_tracked"], again.tracked, again.seconds))

    if tm_on:
        tm_snapshot("tm_take_b", tm_files[1])
    res["dump_b"] = _dump(path_b, "bench_diff traced B", True)
    log("  dump B (tracebacks=True): %d objects, %.1f MB, %.1f s" % (
        res["dump_b"]["objects"], res["dump_b"]["file_bytes"] / 1e6, res["dump_b"]["wall"]))

    if tm_on:
        snap_a = tracemalloc.Snapshot.load(tm_files[0])
        snap_b = tracemalloc.Snapshot.load(tm_files[1])
        stats, wall, cpu, extra = _timed(lambda: snap_b.compare_to(snap_a, "traceback"))
        res["tm_compare_traced"] = dict(wall=wall, cpu=cpu, extra_peak=extra, rows=len(stats))
        log("  compare_to(A, 'traceback'), tracing on: %.1f s, %d rows, extra peak %.0f MiB" % (
            wall, len(stats), extra / 2**20))
        del stats
        tracemalloc.stop()
        stats, wall, cpu, extra = _timed(lambda: snap_b.compare_to(snap_a, "traceback"))
        res["tm_compare_untraced"] = dict(wall=wall, cpu=cpu, extra_peak=extra, rows=len(stats))
        log("  compare_to(A, 'traceback'), tracing off: %.1f s, %d rows" % (wall, len(stats)))
        if not keep:
            for f in tm_files:
                os.unlink(f)
    del heap, again
    return res


# ---------------------------------------------------------------------------------------
# Parent: run the analyzer

def run_cli(cmd):
    """One run of the heapdiff command: wall s, CPU s, peak RSS bytes of that child alone,
    the cores other processes used meanwhile, and its standard output."""
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as out:
        ticks0 = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        ticks1 = cpu_ticks()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit("%s failed with status %d" % (" ".join(cmd), code))
        out.seek(0)
        text = out.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "maxrss": usage.ru_maxrss * 1024,  # KiB on Linux
            "others": others_cores(ticks0, ticks1, cpu, wall)}, text


def measure(cmd, repeat, what):
    runs = []
    text = None
    for i in range(repeat):
        run, text = run_cli(cmd)
        runs.append(run)
        log("  %s #%d: %.2f s (CPU %.2f s, others %.1f cores), peak RSS %.0f MiB" % (
            what, i + 1, run["wall"], run["cpu"], run["others"], run["maxrss"] / 2**20))
    walls = [r["wall"] for r in runs]
    return {"cmd": cmd[1:], "runs": runs, "wall_best": min(walls), "wall_median": statistics.median(walls),
            "maxrss": max(r["maxrss"] for r in runs)}, json.loads(text)


def diff_totals(out):
    g = out["groups"]
    return {"rows": len(g), "count_diff": sum(x["count_diff"] for x in g),
            "size_diff": sum(x["size_diff"] for x in g), "new": sum(x["new"] for x in g),
            "freed": sum(x["freed"] for x in g), "count": sum(x["count"] for x in g),
            "warnings": out.get("warnings", [])}


def run_child(args):
    cmd = [sys.executable, os.path.abspath(__file__)] + args
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit("child %s failed with status %d" % (args, proc.returncode))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise SystemExit("child %s printed no result" % args)


def find_heapdiff():
    near = shutil.which("heapdiff", path=os.path.dirname(sys.executable))
    return near or shutil.which("heapdiff")


def versions():
    from importlib import metadata
    out = {}
    for dist in ("heapdiff", "Pympler"):
        try:
            out[dist.lower()] = metadata.version(dist)
        except Exception:
            out[dist.lower()] = "?"
    return out


# ---------------------------------------------------------------------------------------
# The table

def report(res, note):
    ok = lambda good: "ok" if good else "MISSED"
    mib = lambda b: "%.0f MiB" % (b / 2**20)
    L = ["heapdiff diff benchmark, %s, Python %s, %d cores, %s" % (
        res["date"], res["python"], res["cpus"], ", ".join("%s %s" % kv for kv in res["versions"].items()))]
    if note:
        L.append(note)

    def runs_line(m):
        return "runs %s; CPU %s s; others %s cores" % (
            " / ".join("%.2f" % r["wall"] for r in m["runs"]), " / ".join("%.2f" % r["cpu"] for r in m["runs"]),
            " / ".join("%.1f" % r["others"] for r in m["runs"]))

    for key, title in (("type", "type pair (tracebacks=False)"), ("traced", "traceback pair (tracemalloc.start(25), tracebacks=True)")):
        p = res.get(key)
        if not p:
            continue
        made = p["made"]
        a, b = made["dump_a"], made["dump_b"]
        L += ["", "== %s: %s gc-tracked objects built, ~half of them freed, half as many built again" % (
            title, format(made["tracked"], ",d"))]
        L.append("snapshots                  A %s objects (%.1f MB), B %s objects (%.1f MB)" % (
            format(a["objects"], ",d"), a["file_bytes"] / 1e6, format(b["objects"], ",d"), b["file_bytes"] / 1e6))
        L.append("made                       heap %.1f s, dump A %.1f s, freed %s gc-tracked, rebuilt %s in %.1f s, dump B %.1f s" % (
            made["build_s"], a["wall"], format(made["freed_tracked"], ",d"), format(made["rebuilt_tracked"], ",d"),
            made["rebuild_s"], b["wall"]))
        s = p["summary"]
        L.append("heapdiff summary A         best %.2f s, peak RSS %s (%.1f bytes per object of A)   [%s]" % (
            s["wall_best"], mib(s["maxrss"]), s["maxrss"] / a["objects"], runs_line(s)))
        for dkey, label in (("diff", "heapdiff diff A B"), ("diff_tb", "diff --group-by traceback")):
            d = p.get(dkey)
            if not d:
                continue
            ratio = d["maxrss"] / s["maxrss"]
            t = d["totals"]
            L.append("%-26s best %.2f s (median %.2f)%s   [%s]" % (
                label, d["wall_best"], d["wall_median"],
                ("   target <= %.0f s: %s" % (TARGET_SECONDS, ok(d["wall_best"] <= TARGET_SECONDS))) if key == "type" else "",
                runs_line(d)))
            L.append("%-26s peak RSS %s = %.2fx summary A   target <= %.0fx: %s;  %.1f bytes per object of A+B" % (
                "", mib(d["maxrss"]), ratio, TARGET_PEAK_RATIO, ok(ratio <= TARGET_PEAK_RATIO),
                d["maxrss"] / (a["objects"] + b["objects"])))
            L.append("%-26s %d rows; count diff %+d, size diff %+d bytes; new %s, freed %s%s" % (
                "", t["rows"], t["count_diff"], t["size_diff"], format(t["new"], ",d"), format(t["freed"], ",d"),
                ("; warnings: %s" % "; ".join(t["warnings"])) if t["warnings"] else ""))
        m = made
        if "pympler_diff" in m:
            pd, pg, pf = m["pympler_diff"], m["pympler_get_diff"], m["pympler_first"]
            d = p["diff"]
            L.append("pympler SummaryTracker     first summary %.1f s; tracker.diff() %.1f s (CPU %.1f s), of which get_diff %.3f s; "
                     "extra peak >= %s; %d objects seen" % (pf["wall"], pd["wall"], pd["cpu"], pg["wall"],
                                                         mib(pd["extra_peak"]), m["pympler_objects"]))
            L.append("  heapdiff diff faster than tracker.diff() by %.1fx (wall; %.1fx counting dump B, %.2f s, as the cost of "
                     "the second snapshot)" % (pd["wall"] / d["wall_best"], pd["wall"] / (d["wall_best"] + b["wall"]),
                                               b["wall"]))
        if "tm_compare_traced" in m:
            ct, cu, ta, tb = m["tm_compare_traced"], m["tm_compare_untraced"], m["tm_take_a"], m["tm_take_b"]
            d = p["diff_tb"]
            L.append("tracemalloc                take_snapshot %.1f s / %.1f s (A / B; %s / %s traces, extra peak >= %s / %s)" % (
                ta["wall"], tb["wall"], format(ta["traces"], ",d"), format(tb["traces"], ",d"),
                mib(ta["extra_peak"]), mib(tb["extra_peak"])))
            L.append("                           B.compare_to(A, 'traceback') %.2f s tracing on (%d rows, extra peak >= %s), "
                     "%.2f s tracing off" % (ct["wall"], ct["rows"], mib(ct["extra_peak"]), cu["wall"]))
            L.append("  heapdiff diff --group-by traceback faster than compare_to by %.1fx (tracing on), %.1fx (tracing off); "
                     "than take_snapshot B + compare_to by %.1fx" % (
                         ct["wall"] / d["wall_best"], cu["wall"] / d["wall_best"],
                         (tb["wall"] + ct["wall"]) / d["wall_best"]))
    text = "\n".join(L)
    print(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=10_000_000,
                    help="objects in snapshot A of the type pair (default 10,000,000)")
    ap.add_argument("--traced-gc-objects", type=int, default=1_000_000,
                    help="gc-tracked objects of the traceback pair (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each heapdiff command (default 3)")
    ap.add_argument("--skip", default="", help="comma-separated: type,traced,pympler,tracemalloc")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the snapshots (and the baselines in their .json) of an earlier run if they exist")
    ap.add_argument("--keep", action="store_true", help="keep the snapshots (default: delete them at the end)")
    ap.add_argument("--out-dir", default=os.path.normpath(os.path.join(HERE, "..", "build", "bench")))
    ap.add_argument("--heapdiff", default=find_heapdiff(), help="the heapdiff command")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each child and before the analyzer runs, wait up to SECONDS for an idle machine")
    ap.add_argument("--note", default="", help="a note printed in the header (e.g. the commit heapdiff was built from)")
    ap.add_argument("--phase", choices=["type", "traced"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    os.makedirs(args.out_dir, exist_ok=True)
    paths = {k: (os.path.join(args.out_dir, "diff-%s-A.hds" % k), os.path.join(args.out_dir, "diff-%s-B.hds" % k))
             for k in ("type", "traced")}

    if args.phase == "type":
        r = phase_type(args.n, *paths["type"], pympler_on="pympler" not in skip)
        print("RESULT " + json.dumps(r), flush=True)
        return
    if args.phase == "traced":
        r = phase_traced(args.n, *paths["traced"], args.out_dir, "tracemalloc" not in skip, args.keep)
        print("RESULT " + json.dumps(r), flush=True)
        return
    if not args.heapdiff:
        raise SystemExit("no heapdiff command found; pass --heapdiff")

    res = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
           "cpus": os.cpu_count(), "versions": versions(), "note": args.note}
    sizes = {"type": int(math.ceil(args.objects / OBJECTS_PER_TRACKED)), "traced": args.traced_gc_objects}
    for key in ("type", "traced"):
        if key in skip:
            continue
        a, b = paths[key]
        side = a[:-len("-A.hds")] + ".json"
        if args.reuse and os.path.exists(a) and os.path.exists(b) and os.path.exists(side):
            log("reusing %s, %s" % (a, b))
            with open(side) as f:
                made = json.load(f)
        else:
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            made = run_child(["--phase", key, "--n", str(sizes[key]), "--out-dir", args.out_dir, "--skip", args.skip]
                             + (["--keep"] if args.keep else []))
            with open(side, "w") as f:
                json.dump(made, f)
        p = res[key] = {"made": made}
        if args.wait_quiet:
            wait_quiet(args.wait_quiet)
        p["summary"], _ = measure([args.heapdiff, "summary", a, "--json"], args.repeat, "%s: summary A" % key)
        if key == "type":
            p["diff"], out = measure([args.heapdiff, "diff", a, b, "--json"], args.repeat, "type: diff A B")
            p["diff"]["totals"] = diff_totals(out)
        else:
            p["diff_tb"], out = measure([args.heapdiff, "diff", a, b, "--group-by", "traceback", "--json"],
                                        args.repeat, "traced: diff --group-by traceback")
            p["diff_tb"]["totals"] = diff_totals(out)
        if not args.keep:
            for f in (a, b, side):
                os.unlink(f)
    res["table"] = report(res, args.note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
