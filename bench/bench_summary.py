"""Benchmark `heapdiff summary SNAP --json` on a 10M-object snapshot.

Run by hand (not a test), from a venv where heapdiff is installed:

    python bench/bench_summary.py                          # makes build/bench/summary-10M.hds
    python bench/bench_summary.py --snapshot build/bench/summary-10M.hds   # reuses it
    python bench/bench_summary.py --objects 1000000        # a quick run

Without --snapshot (or when the --snapshot file does not exist yet) a child process builds
a synthetic heap (bench/heap_builder.py) big enough for the snapshot to hold --objects
objects in all (gc-tracked plus the untracked ones reachable from them; the builder's mix
has ~2.32 objects per gc-tracked one) and dumps it with heapdiff.dump(tracebacks=False).
That child needs ~4 GiB for 10M objects.

Then `heapdiff summary SNAP --json` runs --repeat times as a subprocess; for each run the
wall time and the child's own peak RSS (ru_maxrss from os.wait4, i.e. getrusage of that
child alone) are recorded. The snapshot is read from the page cache (it was just written
or read by the previous run): the figures are for a warm cache.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from machine import cpu_ticks, others_cores, wait_quiet  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_BYTES_PER_OBJECT = 64.0
OBJECTS_PER_TRACKED = 2.32  # the heap_builder mix, measured (2.3245): snapshot objects / gc-tracked


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def phase_build(n_tracked, path):
    import heapdiff
    import heap_builder

    heap = heap_builder.build_heap(n_tracked)
    log("heap of %d gc-tracked objects built in %.1f s" % (heap.tracked, heap.seconds))
    start = time.perf_counter()
    figures = heapdiff._probe.dump(path, "bench_summary %d" % n_tracked, False, heapdiff._PROBE_DIR)
    figures["wall"] = time.perf_counter() - start
    figures["build_s"] = heap.seconds
    figures["tracked"] = heap.tracked
    log("dumped %d objects, %d edges, %.1f MB to %s in %.1f s" % (
        figures["objects"], figures["edges"], figures["file_bytes"] / 1e6, path, figures["wall"]))
    return figures


def run_summary(heapdiff_bin, snap):
    """One `heapdiff summary SNAP --json` run: a dict of wall s, CPU s, peak RSS bytes and
    the cores other processes used meanwhile, and its stdout."""
    with open(os.devnull, "wb") as null:
        import tempfile
        with tempfile.TemporaryFile() as out:
            ticks0 = cpu_ticks()
            start = time.perf_counter()
            proc = subprocess.Popen([heapdiff_bin, "summary", snap, "--json"], stdout=out, stderr=null)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            ticks1 = cpu_ticks()
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                raise SystemExit("heapdiff summary failed with status %d" % proc.returncode)
            out.seek(0)
            text = out.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "maxrss": usage.ru_maxrss * 1024,  # ru_maxrss: KiB on Linux
            "others": others_cores(ticks0, ticks1, cpu, wall)}, text


def find_heapdiff():
    near = shutil.which("heapdiff", path=os.path.dirname(sys.executable))
    return near or shutil.which("heapdiff")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--snapshot", help="reuse this snapshot (made there if it does not exist)")
    ap.add_argument("--objects", type=int, default=10_000_000,
                    help="objects in the snapshot to make (default 10,000,000)")
    ap.add_argument("--gc-objects", type=int,
                    help="gc-tracked objects to build instead (default: from --objects)")
    ap.add_argument("--repeat", type=int, default=3, help="summary runs (default 3)")
    ap.add_argument("--heapdiff", default=find_heapdiff(), help="the heapdiff command")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before the summary runs, wait up to SECONDS for other processes to leave the CPUs idle")
    ap.add_argument("--note", default="", help="a note printed in the header (e.g. the commit heapdiff was built from)")
    ap.add_argument("--phase", choices=["build"], help=argparse.SUPPRESS)
    args = ap.parse_args()

    n_tracked = args.gc_objects or int(math.ceil(args.objects / OBJECTS_PER_TRACKED))
    if args.phase == "build":
        print("RESULT " + json.dumps(phase_build(n_tracked, args.snapshot)), flush=True)
        return
    if not args.heapdiff:
        raise SystemExit("no heapdiff command found; pass --heapdiff")

    snap = args.snapshot
    made = None
    if not snap:
        snap = os.path.join(HERE, "..", "build", "bench", "summary-%s.hds" % (
            "%dM" % (args.objects // 10**6) if args.objects % 10**6 == 0 else args.objects))
        snap = os.path.normpath(snap)
    if not args.snapshot or not os.path.exists(snap):
        os.makedirs(os.path.dirname(os.path.abspath(snap)), exist_ok=True)
        log("building a heap of %d gc-tracked objects in a child and dumping it to %s" % (n_tracked, snap))
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--phase", "build",
                               "--gc-objects", str(n_tracked), "--snapshot", snap],
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit("the build child failed with status %d" % proc.returncode)
        made = json.loads([l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][0][7:])
    else:
        log("reusing %s" % snap)

    runs = []
    summary = None
    if args.wait_quiet:
        wait_quiet(args.wait_quiet)
    for i in range(args.repeat):
        run, text = run_summary(args.heapdiff, snap)
        summary = json.loads(text)
        runs.append(run)
        log("run %d: %.2f s (CPU %.2f s, others %.1f cores), peak RSS %.0f MiB" % (
            i + 1, run["wall"], run["cpu"], run["others"], run["maxrss"] / 2**20))

    objects = summary["objects"]
    walls = [r["wall"] for r in runs]
    peak = max(r["maxrss"] for r in runs)
    file_bytes = os.path.getsize(snap)
    res = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "snapshot": snap, "file_bytes": file_bytes, "objects": objects,
        "gc_tracked": summary.get("gc_tracked"), "types": len(summary.get("types", [])),
        "made": made, "runs": runs, "note": args.note,
        "wall_best": min(walls), "wall_median": statistics.median(walls), "maxrss": peak,
        "bytes_per_object": peak / objects,
    }
    ok = lambda good: "ok" if good else "MISSED"
    lines = [
        "heapdiff summary --json benchmark, %s, Python %s, %d cores" % (res["date"], res["python"], res["cpus"]),
    ] + ([args.note] if args.note else []) + [
        "snapshot               %s" % snap,
        "objects in snapshot    %s (gc-tracked %s), %d types" % (
            format(objects, ",d"), format(res["gc_tracked"] or 0, ",d"), res["types"]),
        "file size              %.1f MB (%.2f bytes per object)" % (file_bytes / 1e6, file_bytes / objects),
    ]
    if made:
        lines.append("made by                heapdiff.dump in %.1f s (heap of %s gc-tracked objects built in %.1f s)"
                     % (made["wall"], format(made["tracked"], ",d"), made["build_s"]))
    lines += [
        "wall time, s           best %.2f, median %.2f  (runs: %s)   target <= %.0f s: %s" % (
            res["wall_best"], res["wall_median"], " / ".join("%.2f" % w for w in walls),
            TARGET_SECONDS, ok(res["wall_median"] <= TARGET_SECONDS)),
        "CPU time (user+sys), s %s; other processes meanwhile: %s cores" % (
            " / ".join("%.2f" % r["cpu"] for r in runs), " / ".join("%.1f" % r["others"] for r in runs)),
        "peak RSS of the child  %.0f MiB (worst run)" % (peak / 2**20),
        "peak bytes per object  %.1f   target <= %.0f: %s" % (
            res["bytes_per_object"], TARGET_BYTES_PER_OBJECT, ok(res["bytes_per_object"] <= TARGET_BYTES_PER_OBJECT)),
        "seconds per M objects  %.3f (median)" % (res["wall_median"] / (objects / 1e6)),
    ]
    text = "\n".join(lines)
    print(text)
    res["table"] = text
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
