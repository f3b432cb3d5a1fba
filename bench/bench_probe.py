"""Benchmark the heapdiff probe against a pure-Python walk, pympler and guppy3.

Run by hand (not a test), from a venv where heapdiff and the bench extras are installed:

    python bench/bench_probe.py                      # N = 1M and 3M gc-tracked objects
    python bench/bench_probe.py --sizes 200000       # a quick run
    python bench/bench_probe.py --json build/bench/probe.json

For each N, one child process builds a synthetic heap of N gc-tracked objects
(bench/heap_builder.py) and then, on that same heap, runs in this order
  (a) heapdiff.dump(path, tracebacks=False)
  (b) the same walk in pure Python (gc.get_objects, gc.get_referents, sys.getsizeof,
      records streamed through zstandard at level 1, as the probe's writer)
  (c) pympler: summary.summarize(muppy.get_objects())
  (d) guppy3: hpy().heap()
and a second child process
  (e) calls tracemalloc.start(25) first, builds the heap, then heapdiff.dump(path,
      tracebacks=True) (and once more with tracebacks=False, to split the cost).
Each phase's extra peak memory is measured for real: after a gc.collect() and
malloc_trim(0) (not timed), the kernel's RSS high-water mark (VmHWM in /proc/self/status)
is reset by writing 5 to /proc/self/clear_refs, and extra = VmHWM after - VmRSS before.
Each phase also records its CPU time and how many cores other processes kept busy
meanwhile (bench/machine.py); --wait-quiet SECONDS waits for an idle machine before
each child. See bench/README.md for what every figure means.
"""

import argparse
import array
import datetime
import gc
import json
import os
import platform
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from machine import cpu_ticks, others_cores, wait_quiet  # noqa: E402

TARGETS = {
    "speedup_vs_python": 10.0,   # >= 10x faster than the pure-Python walk
    "s_per_m": 0.5,              # <= 0.5 s per million objects, no tracebacks
    "file_b_per_obj": 16.0,      # <= 16 bytes per object in the file, edges included
    "mem_b_per_obj": 32.0,       # <= 32 bytes per object of extra peak memory
}


# ---------------------------------------------------------------------------------------
# Memory measurement

def _status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    return out


def _malloc_trim():
    """Give the C heap's free memory back to the kernel, so that what an earlier phase
    freed (still resident) does not hide what the next phase allocates."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PeakMeter:
    """Extra peak RSS of a block: VmHWM after (reset just before) - VmRSS before.

    Memory that was freed earlier but stays resident (pymalloc's free pools, the C heap
    beyond what malloc_trim can return) is reused without raising RSS, so this is a
    lower bound of what the block allocated; it is exact for fresh pages."""

    def __init__(self):
        self.reset_ok = None
        self.extra = None
        self.rss_before = None

    def __enter__(self):
        gc.collect()
        _malloc_trim()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False  # then VmHWM is the process peak so far: an upper bound
        self.rss_before = _status()["VmRSS"]
        return self

    def __exit__(self, *exc):
        self.extra = max(0, _status()["VmHWM"] - self.rss_before)
        return False


# ---------------------------------------------------------------------------------------
# (b) the pure-Python walk

_REC = struct.Struct("<QIQQI")  # address, type id, size, refcount, referent count
_TYPE = struct.Struct("<BIH")   # marker 0xFF, type id, name length (then the name)


def python_walk(path, level=1):
    """Every gc-tracked object and, once each, every untracked object reachable from
    them: address, type, sys.getsizeof, refcount and the referents' addresses, streamed
    into a zstd file. Returns (objects, edges, file bytes)."""
    import zstandard

    getsizeof = sys.getsizeof
    get_referents = gc.get_referents
    is_tracked = gc.is_tracked
    getrefcount = sys.getrefcount
    pack = _REC.pack
    type_ids = {}
    seen = set()  # ids of untracked objects already queued
    objects = edges = 0
    buf = bytearray()
    tracked = gc.get_objects()
    with open(path, "wb") as raw:
        out = zstandard.ZstdCompressor(level=level).stream_writer(raw, closefd=False)

        def emit(o):
            nonlocal objects, edges
            t = type(o)
            tid = type_ids.get(t)
            if tid is None:
                tid = type_ids[t] = len(type_ids)
                name = ("%s.%s" % (t.__module__, t.__qualname__)).encode("utf-8", "replace")
                buf.extend(_TYPE.pack(0xFF, tid, len(name)))
                buf.extend(name)
            refs = get_referents(o)
            buf.extend(pack(id(o), tid, getsizeof(o), getrefcount(o), len(refs)))
            if refs:
                buf.extend(array.array("Q", map(id, refs)).tobytes())
                edges += len(refs)
            objects += 1
            return refs

        stack = []
        for o in tracked:
            for r in emit(o):
                if not is_tracked(r) and id(r) not in seen:
                    seen.add(id(r))
                    stack.append(r)
            while stack:
                for r in emit(stack.pop()):
                    if not is_tracked(r) and id(r) not in seen:
                        seen.add(id(r))
                        stack.append(r)
            if len(buf) > (1 << 20):
                out.write(buf)
                del buf[:]
        out.write(buf)
        out.close()
    return objects, edges, os.path.getsize(path)


# ---------------------------------------------------------------------------------------
# Child phases

class Timing(float):
    """Wall seconds (the float) plus .cpu (user+sys seconds of this process) and
    .others (cores other processes kept busy meanwhile, see others_cores)."""


def _timed(fn):
    with PeakMeter() as m:
        ticks0 = cpu_ticks()
        cpu0 = time.process_time()
        start = time.perf_counter()
        value = fn()
        wall = Timing(time.perf_counter() - start)
        wall.cpu = time.process_time() - cpu0
        wall.others = others_cores(ticks0, cpu_ticks(), wall.cpu, wall)
    return value, wall, m


def phase_main(n, out_dir, repeat, skip):
    import heapdiff
    import heap_builder

    res = {"n": n}
    heap = heap_builder.build_heap(n)
    res.update(build_s=heap.seconds, tracked=heap.tracked, tracked_delta=heap.tracked_delta,
               gc_objects_total=len(gc.get_objects()), rss_heap=_status()["VmRSS"])
    log("N=%d: heap built in %.1f s (%d gc-tracked, delta %d), RSS %.0f MiB" % (
        n, heap.seconds, heap.tracked, heap.tracked_delta, res["rss_heap"] / 2**20))

    # (a) heapdiff.dump without tracebacks. heapdiff.dump() returns the path, not the
    # figures, so call heapdiff._probe.dump with exactly the arguments dump() passes (the
    # wrapper only checks them).
    snap = os.path.join(out_dir, "bench-probe-%d.hds" % n)
    runs = []
    for i in range(repeat):
        figures, wall, m = _timed(lambda: heapdiff._probe.dump(os.fsencode(snap), b"bench %d" % n, False,
                                                               heapdiff._PROBE_DIR))
        runs.append(dict(figures, wall=wall, cpu=wall.cpu, others=wall.others, extra_peak=m.extra, hwm_reset=m.reset_ok))
        log("  (a) heapdiff.dump #%d: %.2f s (CPU %.2f s, others %.1f cores), %d objects, %d edges, %.1f MB file, "
            "extra peak %.1f MiB (probe estimate %.1f MiB)" % (
                i + 1, wall, wall.cpu, wall.others, figures["objects"], figures["edges"], figures["file_bytes"] / 1e6,
                m.extra / 2**20, figures["probe_bytes"] / 2**20))
    res["heapdiff"] = runs
    os.unlink(snap)

    # (b) pure Python
    if "python" not in skip:
        pyfile = os.path.join(out_dir, "bench-python-%d.zst" % n)
        (objs, edges, size), wall, m = _timed(lambda: python_walk(pyfile))
        res["python"] = dict(wall=wall, cpu=wall.cpu, others=wall.others, objects=objs, edges=edges, file_bytes=size,
                             extra_peak=m.extra)
        os.unlink(pyfile)
        log("  (b) pure Python walk: %.2f s (CPU %.2f s), %d objects, %d edges, %.1f MB file, extra peak %.1f MiB"
            % (wall, wall.cpu, objs, edges, size / 1e6, m.extra / 2**20))
        gc.collect()

    # (c) pympler
    if "pympler" not in skip:
        from pympler import muppy, summary

        def run_pympler():
            objs = muppy.get_objects()
            rows = summary.summarize(objs)
            count = len(objs)
            del objs
            return count, len(rows)

        (count, types), wall, m = _timed(run_pympler)
        res["pympler"] = dict(wall=wall, cpu=wall.cpu, others=wall.others, objects=count, types=types, extra_peak=m.extra)
        log("  (c) pympler summarize(muppy.get_objects()): %.2f s (CPU %.2f s), %d objects, extra peak %.1f MiB"
            % (wall, wall.cpu, count, m.extra / 2**20))
        gc.collect()

    # (d) guppy3
    if "guppy" not in skip:
        from guppy import hpy

        def run_guppy():
            h = hpy().heap()
            return h.count, h.size

        (count, size), wall, m = _timed(run_guppy)
        res["guppy"] = dict(wall=wall, cpu=wall.cpu, others=wall.others, objects=count, bytes=size, extra_peak=m.extra)
        log("  (d) guppy3 hpy().heap(): %.2f s (CPU %.2f s), %d objects, extra peak %.1f MiB"
            % (wall, wall.cpu, count, m.extra / 2**20))
    del heap
    return res


def phase_tracemalloc(n, out_dir):
    import tracemalloc
    tracemalloc.start(25)
    import heapdiff
    import heap_builder

    res = {"n": n}
    heap = heap_builder.build_heap(n)
    traced, _ = tracemalloc.get_traced_memory()
    res.update(build_s=heap.seconds, tracked=heap.tracked, rss_heap=_status()["VmRSS"],
               traced_bytes=traced)
    log("N=%d under tracemalloc(25): heap built in %.1f s, RSS %.0f MiB" % (
        n, heap.seconds, res["rss_heap"] / 2**20))
    snap = os.path.join(out_dir, "bench-probe-tm-%d.hds" % n)
    for key, tb in (("with_tracebacks", True), ("without_tracebacks", False)):
        figures, wall, m = _timed(lambda: heapdiff._probe.dump(os.fsencode(snap), b"bench tm %d" % n, tb,
                                                               heapdiff._PROBE_DIR))
        res[key] = dict(figures, wall=wall, cpu=wall.cpu, others=wall.others, extra_peak=m.extra, hwm_reset=m.reset_ok)
        log("  (e) heapdiff.dump tracebacks=%s: %.2f s (CPU %.2f s), %d objects, %.1f MB file, extra peak %.1f MiB"
            % (tb, wall, wall.cpu, figures["objects"], figures["file_bytes"] / 1e6, m.extra / 2**20))
        os.unlink(snap)
    del heap
    return res


# ---------------------------------------------------------------------------------------
# Parent: run the children, print the table

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_child(args, wait=0):
    if wait:
        wait_quiet(wait)
    cmd = [sys.executable, os.path.abspath(__file__)] + args
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit("child %s failed with status %d" % (args, proc.returncode))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise SystemExit("child %s printed no result" % args)


def environment():
    versions = {}
    for mod in ("heapdiff", "pympler", "guppy", "zstandard"):
        try:
            from importlib import metadata
            versions[mod] = metadata.version({"guppy": "guppy3", "pympler": "Pympler"}.get(mod, mod))
        except Exception:
            versions[mod] = "?"
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return dict(date=datetime.datetime.now().isoformat(timespec="seconds"),
                python=platform.python_version(), implementation=platform.python_implementation(),
                machine="%d cores, %.0f GiB, %s" % (os.cpu_count(), mem / 2**30, cpu),
                kernel=platform.release(), versions=versions)


def fmt(v, spec):
    if v is None:
        return "-"
    return format(v, spec)


def verdict(value, target, higher_is_better=False):
    if value is None:
        return ""
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "MISSED"


def print_table(results, env):
    sizes = [r["main"]["n"] for r in results]
    rows = []  # (label, [values], target text)

    def add(label, values, target=""):
        rows.append((label, values, target))

    def best(r):
        return min(r["main"]["heapdiff"], key=lambda x: x["wall"])

    def worst_mem(r):
        return max(x["extra_peak"] for x in r["main"]["heapdiff"])

    add("gc-tracked objects made", [fmt(r["main"]["tracked"], ",d") for r in results])
    hd = [best(r) for r in results]
    add("objects in snapshot (all)", [fmt(h["objects"], ",d") for h in hd])
    add("edges in snapshot", [fmt(h["edges"], ",d") for h in hd])
    add("heap build time, s", [fmt(r["main"]["build_s"], ".1f") for r in results])
    add("RSS with the heap built, MiB", [fmt(r["main"]["rss_heap"] / 2**20, ",.0f") for r in results])
    add("(a) heapdiff.dump, tracebacks=False", ["" for _ in results])
    add("  wall time, s (best of %d)" % len(results[0]["main"]["heapdiff"]),
        [fmt(h["wall"], ".2f") for h in hd])
    add("  wall time, all runs, s", ["/".join("%.2f" % x["wall"] for x in r["main"]["heapdiff"])
                                     for r in results])
    add("  CPU time (user+sys), best run, s", [fmt(min(x["cpu"] for x in r["main"]["heapdiff"]), ".2f")
                                               for r in results])
    add("  other processes' CPU meanwhile, cores", ["/".join("%.1f" % x["others"] for x in r["main"]["heapdiff"])
                                                    for r in results])
    s_per_m_gc = [h["wall"] / (r["main"]["tracked"] / 1e6) for h, r in zip(hd, results)]
    s_per_m_all = [h["wall"] / (h["objects"] / 1e6) for h in hd]
    add("  s per million gc-tracked objects", [fmt(v, ".3f") for v in s_per_m_gc],
        "<= %.1f: %s" % (TARGETS["s_per_m"], ", ".join(verdict(v, TARGETS["s_per_m"]) for v in s_per_m_gc)))
    add("  s per million objects (all written)", [fmt(v, ".3f") for v in s_per_m_all],
        "<= %.1f: %s" % (TARGETS["s_per_m"], ", ".join(verdict(v, TARGETS["s_per_m"]) for v in s_per_m_all)))
    fb = [h["file_bytes"] / h["objects"] for h in hd]
    add("  file size, MB", [fmt(h["file_bytes"] / 1e6, ".1f") for h in hd])
    add("  file bytes per object (edges incl.)", [fmt(v, ".2f") for v in fb],
        "<= %d: %s" % (TARGETS["file_b_per_obj"], ", ".join(verdict(v, TARGETS["file_b_per_obj"]) for v in fb)))
    add("  file bytes per gc-tracked object", [fmt(h["file_bytes"] / r["main"]["tracked"], ".2f")
                                               for h, r in zip(hd, results)])
    mem = [worst_mem(r) for r in results]
    add("  extra peak RSS (measured, worst run), MiB", [fmt(m / 2**20, ".1f") for m in mem])
    mb = [m / h["objects"] for m, h in zip(mem, hd)]
    add("  extra peak bytes per object (all)", [fmt(v, ".1f") for v in mb],
        "<= %d: %s" % (TARGETS["mem_b_per_obj"], ", ".join(verdict(v, TARGETS["mem_b_per_obj"]) for v in mb)))
    add("  extra peak bytes per gc-tracked object", [fmt(m / r["main"]["tracked"], ".1f")
                                                     for m, r in zip(mem, results)])
    add("  probe_bytes (probe's estimate), MiB", [fmt(h["probe_bytes"] / 2**20, ".1f") for h in hd])
    add("  probe_bytes per object (all)", [fmt(h["probe_bytes"] / h["objects"], ".1f") for h in hd])
    add("  measured / estimate", [fmt(m / h["probe_bytes"], ".2f") for m, h in zip(mem, hd)])

    def tool(key, title):
        if not all(key in r["main"] for r in results):
            return
        add(title, ["" for _ in results])
        add("  wall time, s", [fmt(r["main"][key]["wall"], ".2f") for r in results])
        add("  CPU time (user+sys), s", [fmt(r["main"][key]["cpu"], ".2f") for r in results])
        add("  other processes' CPU meanwhile, cores", [fmt(r["main"][key]["others"], ".1f") for r in results])
        add("  objects it saw", [fmt(r["main"][key]["objects"], ",d") for r in results])
        ratio = [r["main"][key]["wall"] / h["wall"] for r, h in zip(results, hd)]
        target = ""
        if key == "python":
            target = ">= %d: %s" % (TARGETS["speedup_vs_python"], ", ".join(
                verdict(v, TARGETS["speedup_vs_python"], True) for v in ratio))
        add("  heapdiff (a) faster by, x", [fmt(v, ".1f") for v in ratio], target)
        cpu_ratio = [r["main"][key]["cpu"] / min(x["cpu"] for x in r["main"]["heapdiff"]) for r in results]
        add("  heapdiff (a) faster by, CPU time, x", [fmt(v, ".1f") for v in cpu_ratio],
            target and target.split(":")[0] + ": " + ", ".join(
                verdict(v, TARGETS["speedup_vs_python"], True) for v in cpu_ratio))
        add("  per object seen: heapdiff faster by, x",
            [fmt((r["main"][key]["wall"] / r["main"][key]["objects"]) / (h["wall"] / h["objects"]), ".1f")
             for r, h in zip(results, hd)])
        add("  extra peak RSS, MiB", [fmt(r["main"][key]["extra_peak"] / 2**20, ".1f") for r in results])
        if key == "python":
            add("  file bytes per object", [fmt(r["main"][key]["file_bytes"] / r["main"][key]["objects"], ".2f")
                                            for r in results])

    tool("python", "(b) pure-Python walk + zstandard")
    tool("pympler", "(c) pympler summarize(muppy.get_objects())")
    tool("guppy", "(d) guppy3 hpy().heap()")

    if all("tm" in r for r in results):
        add("(e) tracemalloc.start(25), tracebacks=True", ["" for _ in results])
        add("  heap build time under tracemalloc, s", [fmt(r["tm"]["build_s"], ".1f") for r in results])
        add("  RSS with the heap built, MiB", [fmt(r["tm"]["rss_heap"] / 2**20, ",.0f") for r in results])
        w = [r["tm"]["with_tracebacks"] for r in results]
        add("  wall time, s", [fmt(x["wall"], ".2f") for x in w])
        add("  CPU time (user+sys), s", [fmt(x["cpu"], ".2f") for x in w])
        add("  other processes' CPU meanwhile, cores", [fmt(x["others"], ".1f") for x in w])
        add("  s per million gc-tracked objects", [fmt(x["wall"] / (r["tm"]["tracked"] / 1e6), ".3f")
                                                   for x, r in zip(w, results)])
        add("  s per million objects (all)", [fmt(x["wall"] / (x["objects"] / 1e6), ".3f") for x in w])
        add("  slower than (a) by, x", [fmt(x["wall"] / h["wall"], ".1f") for x, h in zip(w, hd)])
        add("  file bytes per object", [fmt(x["file_bytes"] / x["objects"], ".2f") for x in w])
        add("  extra peak RSS, MiB", [fmt(x["extra_peak"] / 2**20, ".1f") for x in w])
        add("  extra peak bytes per object (all)", [fmt(x["extra_peak"] / x["objects"], ".1f") for x in w])
        wo = [r["tm"]["without_tracebacks"] for r in results]
        add("  same heap, tracebacks=False: wall, s", [fmt(x["wall"], ".2f") for x in wo])
        add("  same heap, tracebacks=False: CPU, s", [fmt(x["cpu"], ".2f") for x in wo])
        add("  same heap, tracebacks=False: extra peak, MiB", [fmt(x["extra_peak"] / 2**20, ".1f") for x in wo])

    head = ["N = %s" % format(n, ",d") for n in sizes]
    w0 = max(len(r[0]) for r in rows)
    ws = [max(len(h), max(len(r[1][i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["heapdiff probe benchmark, %s, Python %s, %s" % (env["date"], env["python"], env["machine"]),
             "versions: %s" % ", ".join("%s %s" % kv for kv in env["versions"].items())]
    if env.get("note"):
        lines.append(env["note"])
    lines.append("")
    lines.append("  ".join([" " * w0] + [h.rjust(w) for h, w in zip(head, ws)] + ["target"]).rstrip())
    for label, values, target in rows:
        lines.append("  ".join([label.ljust(w0)] + [v.rjust(w) for v, w in zip(values, ws)] + [target]).rstrip())
    text = "\n".join(lines)
    print(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000,3000000",
                    help="comma-separated numbers of gc-tracked objects (default 1000000,3000000)")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "..", "build", "bench"),
                    help="where the snapshots are written (and deleted); default build/bench")
    ap.add_argument("--repeat", type=int, default=3, help="heapdiff dumps per size (default 3)")
    ap.add_argument("--skip", default="", help="comma-separated: python,pympler,guppy,tracemalloc")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each child, wait up to SECONDS for other processes to leave the CPUs idle")
    ap.add_argument("--note", default="", help="a note printed in the header (e.g. the commit heapdiff was built from)")
    ap.add_argument("--phase", choices=["main", "tracemalloc"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    os.makedirs(args.out_dir, exist_ok=True)

    if args.phase == "main":
        print("RESULT " + json.dumps(phase_main(args.n, args.out_dir, args.repeat, skip)), flush=True)
        return
    if args.phase == "tracemalloc":
        print("RESULT " + json.dumps(phase_tracemalloc(args.n, args.out_dir)), flush=True)
        return

    env = environment()
    env["note"] = args.note
    results = []
    for n in [int(s.replace("_", "")) for s in args.sizes.split(",")]:
        common = ["--n", str(n), "--out-dir", args.out_dir]
        r = {"main": run_child(["--phase", "main", "--repeat", str(args.repeat), "--skip", args.skip] + common,
                              args.wait_quiet)}
        results.append(r)
    if "tracemalloc" not in skip:  # last: the slowest, and the heap is built again
        for r in results:
            r["tm"] = run_child(["--phase", "tracemalloc"] + ["--n", str(r["main"]["n"]), "--out-dir", args.out_dir],
                               args.wait_quiet)
    text = print_table(results, env)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "results": results, "table": text}, f, indent=1)


if __name__ == "__main__":
    main()
