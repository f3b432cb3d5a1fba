"""Benchmark the object-graph commands (backrefs, retained, top --by retained) on a
10M-object snapshot, against objgraph.find_backref_chain and guppy3's domisize.

Run by hand (not a test), with heapdiff importable and the `heapdiff` command next to the
running Python (or --heapdiff), and objgraph and guppy3 installed:

    python bench/bench_graph.py                          # 10M objects in the snapshot
    python bench/bench_graph.py --objects 1000000        # a quick run
    python bench/bench_graph.py --json build/bench/graph.json

One child process builds the heap and, on that same heap, in this order:
  1. heapdiff.dump(tracebacks=False) of it (timed: the in-process cost of heapdiff);
  2. objgraph.find_backref_chain(target, inspect.ismodule) (timed; it runs gc.collect()
     itself, which is timed alone first, and one gc.get_referrers(target) is timed too: the
     search calls it once per object it visits);
  3. guppy3: hpy() (timed), hpy().iso(target).domisize, and the same for the head of the
     linked list (each timed), then, untimed, the dominated set's count and the sum of
     sys.getsizeof over it, to tell a difference of membership from one of sizes.
The heap is a module `graphbench_app` in sys.modules holding
  HEAP      bench/heap_builder.py's mix (most of the objects),
  QUEUE     the head of a linked list of __slots__ nodes (each with a big int),
  REGISTRY  {"services": [Service, ...], ...}; one Service's `caches` dict holds a Cache
            whose `entries` dict holds the target, a Session: 20,000 Row objects (a unique
            name, a big int, an atomic dict with a float and a string), some sharing tags
            with the module's TAGS and 100 of them also listed in the module's RECENT (so
            neither is retained by the target alone).
The child prints its figures as it goes, so a child killed at --child-timeout (guppy3 on
a big heap) still leaves the dump and objgraph's figures.

Then the parent runs the CLI on the snapshot, each --repeat times, as subprocesses with
HEAPDIFF_TIMINGS=1 (phase lines on stderr: "heapdiff-timing load 1.234 s peak 812.0 MiB"):
  heapdiff backrefs SNAP --address TARGET --json      load, graph, chains, retained
  heapdiff retained SNAP --address TARGET --json      (no phase lines: total only)
  heapdiff retained SNAP --address HEAD --json
  heapdiff top SNAP --by retained --json              load, graph, analysis (dominator
                                                      tree, retained sizes, sorting)
  heapdiff garbage SNAP --json                        once, for completeness
"After loading" is the sum of the phases after `load`. Peak memory: the peak RSS the
command reports after loading and at the end (VmHWM), and ru_maxrss from os.wait4 (that
child alone); per object = / objects in the snapshot; "increase" = (final peak - peak
after load) / objects, the analysis' own memory on top of the loaded snapshot.
The snapshot is in the page cache (just written): warm-cache figures.

A table can be printed again from --json output:
    python -c "import sys, json; sys.path.insert(0, 'bench'); import bench_graph as b; \\
               r = json.load(open('build/bench/graph.json')); b.report(r)"
"""

import argparse
import datetime
import gc
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from machine import cpu_ticks, others_cores, wait_quiet  # noqa: E402

TARGET_BACKREFS_S = 1.0        # backrefs after loading, 10M objects
TARGET_RETAINED_S = 10.0       # dominator tree + retained sizes after loading
TARGET_PEAK_B_PER_OBJ = 100.0  # peak memory of the dominator tree run, per object
OBJECTS_PER_TRACKED = 2.32     # heap_builder's mix: snapshot objects / gc-tracked
ROWS = 20_000                  # Rows in the target Session
RECENT = 100                   # of them also in graphbench_app.RECENT


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The child: the heap, the dump, objgraph and guppy3 on the same heap

class Service:
    def __init__(self, name):
        self.name = name
        self.caches = {}
        self.requests = 0


class Cache:
    def __init__(self, name):
        self.name = name
        self.entries = {}
        self.hits = 0


class Session:
    def __init__(self, user):
        self.user = user
        self.rows = []
        self.created = time.time()


class Row:
    __slots__ = ("ident", "name", "amount", "attrs", "tags")

    def __init__(self, ident, name, amount, attrs, tags):
        self.ident = ident
        self.name = name
        self.amount = amount
        self.attrs = attrs
        self.tags = tags


class LNode:
    __slots__ = ("next", "value")

    def __init__(self, nxt, value):
        self.next = nxt
        self.value = value


def build_app(n_tracked, list_nodes):
    """The module graphbench_app, registered in sys.modules. Returns (module, heap)."""
    import types
    import heap_builder

    app = types.ModuleType("graphbench_app", "the benchmark's application state")
    sys.modules[app.__name__] = app
    heap = heap_builder.build_heap(n_tracked)
    app.HEAP = heap
    was = gc.isenabled()
    gc.disable()
    start = time.perf_counter()
    try:
        head = None
        for i in range(list_nodes, 0, -1):
            head = LNode(head, i * 1_000_003 + 10**12)       # big int: one more object
        app.QUEUE = head
        del head
        app.TAGS = tuple(("tag-%d" % k, "group-%d" % (k % 3), [k]) for k in range(8))  # tracked: holds a list
        app.REGISTRY = {"services": [Service("svc-%d" % k) for k in range(5)], "version": "1.0",
                        "started": time.time()}
        svc = app.REGISTRY["services"][3]
        for name in ("users", "orders", "carts"):
            svc.caches[name] = Cache(name)
        cache = svc.caches["orders"]
        for k in range(3):
            cache.entries["sess-%d" % k] = Session("user-%d" % k)
        target = cache.entries["sess-1"]
        for i in range(ROWS):
            target.rows.append(Row(i, "row-%08d" % i, i * 7_000_003 + 10**13,
                                   {"score": i / 7.0, "label": "l%d" % i}, app.TAGS[i & 7]))
        app.RECENT = target.rows[-RECENT:]
    finally:
        if was:
            gc.enable()
    extra_s = time.perf_counter() - start
    gc.collect()
    return app, heap, extra_s


def the_target():
    return sys.modules["graphbench_app"].REGISTRY["services"][3].caches["orders"].entries["sess-1"]


def type_name(o):
    t = type(o)
    return t.__qualname__ if t.__module__ in ("builtins", "__main__") else "%s.%s" % (t.__module__, t.__qualname__)


def describe(o):
    """A short text for one object of objgraph's chain."""
    import types
    if isinstance(o, types.ModuleType):
        return "module %s" % o.__name__
    if isinstance(o, dict):
        keys = list(o)[:3]
        return "dict (%d keys: %s%s)" % (len(o), ", ".join(repr(k)[:20] for k in keys), ", ..." if len(o) > 3 else "")
    if isinstance(o, (list, tuple)):
        return "%s (%d items)" % (type_name(o), len(o))
    return type_name(o)


def _timed(fn):
    """(value, wall s, CPU s, extra peak RSS bytes >=) of fn() (bench_probe.PeakMeter)."""
    from bench_probe import PeakMeter
    global last_others
    with PeakMeter() as m:
        ticks0 = cpu_ticks()
        cpu0 = time.process_time()
        start = time.perf_counter()
        value = fn()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        last_others = others_cores(ticks0, cpu_ticks(), cpu, wall)
    return value, wall, cpu, m.extra


last_others = 0.0  # cores other processes kept busy during the last _timed block


def emit(key, value):
    print("PART %s %s" % (key, json.dumps(value)), flush=True)


def child(args):
    import inspect
    import heapdiff

    skip = set(filter(None, args.skip.split(",")))
    app, heap, extra_s = build_app(args.n_tracked, args.list_nodes)
    emit("build", {"tracked": heap.tracked, "build_s": heap.seconds + extra_s,
                   "gc_objects": len(gc.get_objects()), "list_nodes": args.list_nodes,
                   "target": hex(id(the_target())), "head": hex(id(app.QUEUE))})
    log("heap: %d gc-tracked objects (heap_builder) + a %d-node list + the registry, built in %.1f s" % (
        heap.tracked, args.list_nodes, heap.seconds + extra_s))
    del app, heap

    def quiet():
        if args.wait_quiet:
            wait_quiet(args.wait_quiet)

    # 1. heapdiff.dump: the target is in no local variable of this frame
    quiet()
    ticks0 = cpu_ticks()
    start = time.perf_counter()
    cpu0 = time.process_time()
    figures = heapdiff._probe.dump(args.snapshot, "bench_graph", False, heapdiff._PROBE_DIR)
    figures["wall"] = time.perf_counter() - start
    figures["cpu"] = time.process_time() - cpu0
    figures["others"] = others_cores(ticks0, cpu_ticks(), figures["cpu"], figures["wall"])
    emit("dump", figures)
    log("dump: %d objects, %d edges, %.1f MB, %.1f s" % (figures["objects"], figures["edges"],
                                                        figures["file_bytes"] / 1e6, figures["wall"]))

    # 2. objgraph
    if "objgraph" not in skip:
        import objgraph
        quiet()
        _, gc_wall, _, _ = _timed(gc.collect)
        target = the_target()
        refs, scan_wall, _, _ = _timed(lambda: gc.get_referrers(target))
        del refs
        chain, wall, cpu, extra = _timed(lambda: objgraph.find_backref_chain(target, inspect.ismodule))
        emit("objgraph", {"wall": wall, "cpu": cpu, "others": last_others, "extra_peak": extra, "gc_collect_s": gc_wall,
                          "get_referrers_s": scan_wall, "references": len(chain) - 1,
                          "chain": [describe(o) for o in chain], "ids": [hex(id(o)) for o in chain],
                          "found": len(chain) > 1})
        log("objgraph.find_backref_chain: %.1f s (gc.collect alone %.2f s, one gc.get_referrers %.2f s), "
            "%d references" % (wall, gc_wall, scan_wall, len(chain) - 1))
        del chain, target

    # 3. guppy3
    if "guppy" not in skip:
        from guppy import hpy
        h, wall, cpu, extra = _timed(hpy)
        emit("guppy_setup", {"wall": wall, "cpu": cpu})
        for key, get in (("target", the_target), ("head", lambda: sys.modules["graphbench_app"].QUEUE)):
            if key == "head" and "guppy-head" in skip:
                continue
            obj = get()
            gc_before = len(gc.get_objects())
            quiet()
            size, wall, cpu, extra = _timed(lambda: h.iso(obj).domisize)
            res = {"wall": wall, "cpu": cpu, "others": last_others, "extra_peak": extra, "domisize": size,
                   "gc_objects_added": len(gc.get_objects()) - gc_before}
            emit("guppy_" + key, res)
            log("guppy3 iso(%s).domisize: %d bytes, %.1f s (CPU %.1f s), extra peak >= %.0f MiB, "
                "%d more gc-tracked objects after it" % (key, size, wall, cpu, extra / 2**20, res["gc_objects_added"]))
            if key == "target":
                # Untimed: what it counts, to tell membership from sizes.
                dom = h.iso(obj).dominos
                by_type = {}
                getsizeof_total = 0
                for o in dom.nodes:
                    s = sys.getsizeof(o)
                    getsizeof_total += s
                    t = by_type.setdefault(type_name(o), [0, 0])
                    t[0] += 1
                    t[1] += s
                res.update(count=dom.count, getsizeof=getsizeof_total, by_type=by_type,
                           indisize_by_type={type_name(o): h.iso(o).indisize for o in
                                             (obj, obj.rows, obj.rows[0], obj.rows[0].name, obj.rows[0].amount,
                                              obj.rows[0].attrs, obj.rows[0].attrs["score"])})
                emit("guppy_" + key, res)
                del dom
            del obj
        del h
    emit("done", True)


def run_child(args, n_tracked, timeout):
    """Runs the child; returns its figures (those printed before a timeout, if any)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--phase", "child", "--n-tracked", str(n_tracked),
           "--list-nodes", str(args.list_nodes), "--snapshot", args.snapshot_path, "--skip", args.skip,
           "--wait-quiet", str(args.wait_quiet)]
    parts = {}
    start = time.perf_counter()
    ticks0 = cpu_ticks()
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(cmd, stdout=out)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()   # the child we started, by its pid
            proc.wait()
            parts["timed_out_after_s"] = timeout
            log("child killed after %.0f s (--child-timeout)" % timeout)
        out.seek(0)
        for line in out:
            if line.startswith("PART "):
                _, key, value = line.rstrip("\n").split(" ", 2)
                parts[key] = json.loads(value)
    parts["wall"] = time.perf_counter() - start
    parts["others"] = others_cores(ticks0, cpu_ticks(), 0.0, parts["wall"])  # rough: the child's own CPU not known
    if proc.returncode and "timed_out_after_s" not in parts:
        raise SystemExit("child failed with status %d" % proc.returncode)
    if "dump" not in parts:
        raise SystemExit("child made no snapshot")
    return parts


# ---------------------------------------------------------------------------------------
# The parent: the CLI

TIMING = re.compile(r"^heapdiff-timing (\S+) ([0-9.]+) s peak ([0-9.]+) MiB$")


def run_cli(cmd):
    """One run: wall s, CPU s, peak RSS bytes of that child alone (os.wait4), the cores
    other processes used meanwhile, the phase lines, and its standard output."""
    env = dict(os.environ, HEAPDIFF_TIMINGS="1")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        ticks0 = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        ticks1 = cpu_ticks()
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    if code != 0:
        raise SystemExit("%s failed with status %d: %s" % (" ".join(cmd), code, errors.strip()))
    phases = []
    for line in errors.splitlines():
        m = TIMING.match(line.strip())
        if m:
            phases.append({"phase": m.group(1), "s": float(m.group(2)), "peak": float(m.group(3)) * 2**20})
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "maxrss": usage.ru_maxrss * 1024, "phases": phases,
            "others": others_cores(ticks0, ticks1, cpu, wall)}, text


def measure(cmd, repeat, what):
    runs = []
    text = None
    for i in range(repeat):
        run, text = run_cli(cmd)
        ph = run["phases"]
        run["load_s"] = sum(p["s"] for p in ph if p["phase"] == "load")
        run["after_load_s"] = sum(p["s"] for p in ph if p["phase"] != "load") if ph else None
        run["load_peak"] = next((p["peak"] for p in ph if p["phase"] == "load"), None)
        runs.append(run)
        log("  %s #%d: %.2f s (CPU %.2f s, others %.1f cores)%s, peak RSS %.0f MiB" % (
            what, i + 1, run["wall"], run["cpu"], run["others"],
            "; " + ", ".join("%s %.3f s" % (p["phase"], p["s"]) for p in ph) if ph else "", run["maxrss"] / 2**20))
    best = min(runs, key=lambda r: r["after_load_s"] if r["after_load_s"] is not None else r["wall"])
    walls = [r["wall"] for r in runs]
    return {"cmd": cmd[1:], "runs": runs, "best": best, "wall_best": min(walls),
            "wall_median": statistics.median(walls), "maxrss": max(r["maxrss"] for r in runs)}, json.loads(text)


def find_heapdiff():
    near = shutil.which("heapdiff", path=os.path.dirname(sys.executable))
    return near or shutil.which("heapdiff")


def versions():
    from importlib import metadata
    out = {}
    for dist in ("heapdiff", "objgraph", "guppy3"):
        try:
            out[dist] = metadata.version(dist)
        except Exception:
            try:
                out[dist] = __import__(dist).__version__
            except Exception:
                out[dist] = "?"
    return out


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except OSError:
        mem = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / 2**30), "kernel": platform.release()}


# ---------------------------------------------------------------------------------------
# The table

def report(res):
    ok = lambda good: "ok" if good else "MISSED"
    mc = res["machine"]
    made = res["made"]
    objects = made["dump"]["objects"]
    L = ["heapdiff graph benchmark, %s, Python %s, %d cores, %s GiB, %s, Linux %s" % (
        res["date"], res["python"], mc["cores"], mc["mem_gib"], mc["cpu"], mc["kernel"]),
        "versions: " + ", ".join("%s %s" % kv for kv in res["versions"].items())]
    if res.get("note"):
        L.append(res["note"])
    b, d = made["build"], made["dump"]
    L += ["",
          "heap: %s gc-tracked objects (heap_builder) + a %s-node linked list + a registry; built in %.1f s" % (
              format(b["tracked"], ",d"), format(b["list_nodes"], ",d"), b["build_s"]),
          "snapshot: %s objects, %s edges, %.1f MB; heapdiff.dump %.2f s (CPU %.2f s, others %.1f cores) in the process" % (
              format(objects, ",d"), format(d["edges"], ",d"), d["file_bytes"] / 1e6, d["wall"], d["cpu"],
              d.get("others", 0)),
          "target %s (a Session, 8 references below module graphbench_app), list head %s" % (b["target"], b["head"])]
    if made.get("timed_out_after_s"):
        L.append("the child was killed after %.0f s (--child-timeout): figures missing below were not reached" %
                 made["timed_out_after_s"])
    L.append("")

    def per_obj(x):
        return x / objects

    hdr = "%-34s %6s %6s %6s  %-28s %6s %6s  %7s %7s %7s  %s" % (
        "operation", "after", "total", "total", "peer", "peer", "peer", "ratio", "ratio", "ratio", "peak bytes/object")
    L += [hdr, "%-34s %6s %6s %6s  %-28s %6s %6s  %7s %7s %7s  %s" % (
        "", "load", "wall", "CPU", "", "wall", "CPU", "/after", "/total", "/+dump", "total (increase over load)"),
        "-" * (len(hdr) + 8)]

    def row(op, m, peer, p):
        best = m["best"]
        after = best["after_load_s"]
        total = best["wall"]
        peak = m["maxrss"]
        lp = max((r["load_peak"] or 0) for r in m["runs"])
        peak_txt = "%.1f" % per_obj(peak)
        if lp:
            peak_txt += " (+%.1f)" % per_obj(max(0, peak - lp))
        ps = p and p["wall"]
        L.append("%-34s %6s %6.2f %6.2f  %-28s %6s %6s  %7s %7s %7s  %s" % (
            op, "%.3f" % after if after is not None else "-", total, best["cpu"], peer or "-",
            "%.2f" % ps if ps else "-", "%.2f" % p["cpu"] if p else "-",
            ("%.1fx" % (ps / after)) if (ps and after) else "-", ("%.2fx" % (ps / total)) if ps else "-",
            ("%.2fx" % (ps / (total + d["wall"]))) if ps else "-", peak_txt))

    cli = res["cli"]
    og = made.get("objgraph")
    gt, gh = made.get("guppy_target"), made.get("guppy_head")
    if "backrefs" in cli:
        row("backrefs --address TARGET", cli["backrefs"], "objgraph.find_backref_chain", og)
    if "retained_target" in cli:
        row("retained --address TARGET", cli["retained_target"], "guppy3 iso(target).domisize", gt)
    if "retained_head" in cli:
        row("retained --address HEAD", cli["retained_head"], "guppy3 iso(head).domisize", gh)
    if "top" in cli:
        row("top --by retained (dominator tree)", cli["top"], None, None)
    if "garbage" in cli:
        row("garbage", cli["garbage"], None, None)
    L.append("(best run of each command by time after loading; ratio = peer's wall time / heapdiff's: after loading, "
             "total (a separate process that loads the snapshot), and total + heapdiff.dump (%.2f s), the end-to-end "
             "cost; > 1 means heapdiff is faster)" % d["wall"])

    L += ["", "phases (best run; seconds, and peak RSS after the phase):"]
    for key in ("backrefs", "top", "garbage"):
        if key in cli:
            br = cli[key]["best"]
            L.append("  %-9s %s; wall %.2f s, CPU %.2f s, others %.1f cores; ru_maxrss %.0f MiB" % (
                key, ", ".join("%s %.3f s (%.0f MiB)" % (p["phase"], p["s"], p["peak"] / 2**20) for p in br["phases"]),
                br["wall"], br["cpu"], br["others"], cli[key]["maxrss"] / 2**20))
    for key in ("retained_target", "retained_head"):
        if key in cli:
            L.append("  %-9s %s" % (key.replace("retained_", "retained "),
                                    "runs " + " / ".join("%.2f" % r["wall"] for r in cli[key]["runs"]) + " s"))

    L += ["", "targets (%s objects):" % format(objects, ",d")]
    if "backrefs" in cli:
        a = cli["backrefs"]["best"]["after_load_s"]
        ph = {p["phase"]: p["s"] for p in cli["backrefs"]["best"]["phases"]}
        L.append("  backrefs after loading <= %.0f s: %.3f s %s (building the graph %.3f s, the report: chain search "
                 "and the target's retained size %.3f s)" % (TARGET_BACKREFS_S, a, ok(a <= TARGET_BACKREFS_S),
                                                             ph.get("graph", 0), ph.get("report", 0)))
    if "top" in cli:
        t = cli["top"]
        a = t["best"]["after_load_s"]
        peak = per_obj(t["maxrss"])
        ph = {p["phase"]: p["s"] for p in t["best"]["phases"]}
        L.append("  dominator tree + retained sizes after loading <= %.0f s: %.3f s %s (building the graph %.3f s, "
                 "the analysis %.3f s)" % (TARGET_RETAINED_S, a, ok(a <= TARGET_RETAINED_S), ph.get("graph", 0),
                                           ph.get("analysis", 0)))
        inc = per_obj(t["maxrss"] - max(r["load_peak"] or 0 for r in t["runs"]))
        L.append("  peak memory <= %.0f bytes per object: %.1f in all %s; %.1f over the loaded snapshot %s" % (
            TARGET_PEAK_B_PER_OBJ, peak, ok(peak <= TARGET_PEAK_B_PER_OBJ), inc, ok(inc <= TARGET_PEAK_B_PER_OBJ)))
    for key, peer, p in (("backrefs", "objgraph.find_backref_chain", og), ("retained_target", "guppy3 domisize", gt)):
        if not p or key not in cli:
            continue
        best = cli[key]["best"]
        after = best["after_load_s"]
        if after is None and key == "retained_target" and "backrefs" in cli and "top" in cli:
            # retained prints no phase lines: take top's graph phase (the same graph,
            # without the reverse) and backrefs' "report" phase (its chains and the same
            # computation, retained_size_of of the target: an upper bound)
            ph = {x["phase"]: x["s"] for x in cli["backrefs"]["best"]["phases"]}
            ph_top = {x["phase"]: x["s"] for x in cli["top"]["best"]["phases"]}
            after = ph_top.get("graph", 0) + ph.get("report", 0)
        L.append("  faster than %s (%.2f s): after loading %s (%.2f s%s), loading included %s (%.2f s), "
                 "with the dump too %s (%.2f s)" % (
                     peer, p["wall"], ok(after < p["wall"]), after,
                     ", estimated: top's graph phase + backrefs' report phase" if best["after_load_s"] is None else "",
                     ok(best["wall"] < p["wall"]), best["wall"], ok(best["wall"] + d["wall"] < p["wall"]),
                     best["wall"] + d["wall"]))

    L += ["", "answers:"]
    if "backrefs" in cli:
        out = cli["backrefs"]["out"]
        ch = out["chain"]
        L.append("  heapdiff backrefs: %d references: %s" % (len(ch) - 1, " -> ".join(
            ("%s %s" % (c["edge"], c["label"])).strip() for c in ch)))
        if og:
            same = [c["address"] for c in ch] == og["ids"]
            L.append("                     the same objects as objgraph's chain: %s" % ("yes" if same else "no"))
        L.append("                     target retains %s bytes" % format(out["target"]["retained"], ",d"))
    if og:
        L.append("  objgraph:          %d references: %s" % (og["references"], " -> ".join(og["chain"])))
        L.append("                     (%.2f s CPU, others %.1f cores; a gc.collect() like the one it starts with takes "
                 "%.2f s, one gc.get_referrers scan %.2f s)" % (og["cpu"], og.get("others", 0), og["gc_collect_s"],
                                                               og["get_referrers_s"]))
    if "retained_target" in cli:
        o = cli["retained_target"]["out"]
        L.append("  heapdiff retained TARGET: %s bytes in %s objects: %s" % (
            format(o["bytes"], ",d"), format(o["objects"], ",d"),
            ", ".join("%s %s/%s" % (t["type"], format(t["count"], ",d"), format(t["size"], ",d")) for t in o["types"][:8])))
    if gt:
        L.append("  guppy3 domisize(target): %s bytes" % format(gt["domisize"], ",d") + (
            " in %s objects (sum of sys.getsizeof over them: %s)" % (format(gt["count"], ",d"), format(gt["getsizeof"], ",d"))
            if "count" in gt else ""))
        if "by_type" in gt:
            L.append("    by type (count/getsizeof): " + ", ".join(
                "%s %s/%s" % (k, format(v[0], ",d"), format(v[1], ",d"))
                for k, v in sorted(gt["by_type"].items(), key=lambda kv: -kv[1][1])[:8]))
            L.append("    guppy3 indisize of one of each: " + ", ".join("%s %d" % kv for kv in gt["indisize_by_type"].items()))
    if "retained_head" in cli:
        o = cli["retained_head"]["out"]
        L.append("  heapdiff retained HEAD: %s bytes in %s objects" % (format(o["bytes"], ",d"), format(o["objects"], ",d")))
    if gh:
        L.append("  guppy3 domisize(head): %s bytes" % format(gh["domisize"], ",d"))
    for key, g in (("target", gt), ("head", gh)):
        if g and "gc_objects_added" in g:
            L.append("  gc-tracked objects that guppy3 iso(%s).domisize left behind: %s" % (
                key, format(g["gc_objects_added"], ",d")))
    if "top" in cli:
        rows = cli["top"]["out"]["rows"][:5]
        L.append("  heapdiff top --by retained: " + "; ".join(
            "%s %s" % (r["type"], format(r["retained"], ",d")) for r in rows))
    if "garbage" in cli:
        g = cli["garbage"]["out"]
        L.append("  heapdiff garbage: %s objects, %s bytes" % (format(g["objects"], ",d"), format(g["bytes"], ",d")))
    text = "\n".join(L)
    print(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=10_000_000,
                    help="objects in the snapshot, roughly (default 10,000,000)")
    ap.add_argument("--list-nodes", type=int, default=None,
                    help="nodes of the linked list (default: objects / 20; each node has a big int too)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each heapdiff command (default 3)")
    ap.add_argument("--skip", default="", help="comma-separated: objgraph,guppy,guppy-head")
    ap.add_argument("--child-timeout", type=float, default=900,
                    help="kill the child (building, dump, objgraph, guppy3) after this many seconds (default 900)")
    ap.add_argument("--out-dir", default=os.path.normpath(os.path.join(HERE, "..", "build", "bench")))
    ap.add_argument("--keep", action="store_true", help="keep the snapshot")
    ap.add_argument("--heapdiff", default=find_heapdiff(), help="the heapdiff command")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before the child and before the analyzer runs, wait up to SECONDS for an idle machine")
    ap.add_argument("--note", default="", help="a note printed in the header (e.g. the commit heapdiff was built from)")
    ap.add_argument("--phase", choices=["child"], help=argparse.SUPPRESS)
    ap.add_argument("--n-tracked", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--snapshot", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.list_nodes is None:
        args.list_nodes = args.objects // 20

    if args.phase == "child":
        child(args)
        return
    if not args.heapdiff:
        raise SystemExit("no heapdiff command found; pass --heapdiff")
    os.makedirs(args.out_dir, exist_ok=True)
    args.snapshot_path = os.path.join(args.out_dir, "graph-%d.hds" % args.objects)
    rest = max(0, args.objects - 2 * args.list_nodes - 8 * ROWS)
    n_tracked = int(math.ceil(rest / OBJECTS_PER_TRACKED))

    res = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
           "machine": machine(), "versions": versions(), "note": args.note, "heapdiff": args.heapdiff}
    if args.wait_quiet:
        wait_quiet(args.wait_quiet)
    made = res["made"] = run_child(args, n_tracked, args.child_timeout)
    snap = args.snapshot_path
    target, head = made["build"]["target"], made["build"]["head"]
    hd = args.heapdiff
    if args.wait_quiet:
        wait_quiet(args.wait_quiet)
    cli = res["cli"] = {}
    try:
        for key, cmd, repeat in (
                ("backrefs", [hd, "backrefs", snap, "--address", target, "--json"], args.repeat),
                ("retained_target", [hd, "retained", snap, "--address", target, "--json"], args.repeat),
                ("retained_head", [hd, "retained", snap, "--address", head, "--json"], args.repeat),
                ("top", [hd, "top", snap, "--by", "retained", "--json"], args.repeat),
                ("garbage", [hd, "garbage", snap, "--json"], 1)):
            cli[key], cli_out = measure(cmd, repeat, key)
            cli[key]["out"] = cli_out
    finally:
        if not args.keep:
            os.unlink(snap)
    res["table"] = report(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
