"""Check that a change to the probe's walk or writer leaves the snapshot's decoded content
unchanged: dumps the same quiescent heap with a baseline probe (a copy of an installed
heapdiff/_probe*.so built before the change) and with the installed one, alternately,
and compares what `_probe.read_snapshot` decodes (objects, types, edges with their labels,
display values, tracebacks, trace statistics, roots, fact keys). Compression may differ;
content may not.

    python bench/check_walk_equivalence.py BASELINE_SO [--objects N] [--tracebacks]

Run by hand (it is not a test): exit status 0 when the contents agree. Dumps alternate
old, new, old, new; the second pair is compared (the first dumps settle the heap: the
figures dicts they return, the interned fact keys), and old against old is compared too,
as a control that the heap was quiescent. Expect a few refcounts to differ in both (the
control shows how many: the objects this script's own frame and the two probe modules
touch between dumps); anything else is a real difference.
"""
import argparse
import gc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# Facts that measure the dump itself (times, the probe's own bookkeeping, memory figures
# that move with any allocation): their keys are compared, not their values.
VOLATILE = ("seconds", "rss", "bytes", "peak", "memory", "vm", "time", "pid", "ppid", "label", "hwm", "dirty",
            "pss", "swap", "gc.count", "anon", "heap", "pymalloc", "malloc", "mapped", "arena", "block")


def load_baseline(path):
    loader = importlib.machinery.ExtensionFileLoader("heapdiff._probe", path)
    spec = importlib.util.spec_from_file_location("heapdiff._probe", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def decoded(reader, path):
    first = reader.read_snapshot(path)
    addresses = memoryview(first["addresses"]).cast("Q").tolist()  # packed uint64 column
    content = reader.read_snapshot(path, addresses)
    facts = content.pop("facts")
    keep = {}
    for key, value in (facts.items() if isinstance(facts, dict) else facts):
        keep[key] = None if any(v in key for v in VOLATILE) else value
    content["facts"] = keep
    for key, value in list(content.items()):
        if isinstance(value, (bytes, bytearray)):
            content[key] = list(value)  # packed columns, compared byte by byte
    return content


def ignore_driver_frame(contents, probe_modules):
    """The dumps differ only where this script's own frame points at the probe it calls
    (the locals `probe`, `path`) and in the refcounts of the two probe modules and of what
    that frame holds: those are set aside before comparing."""
    for c in contents:
        addresses = memoryview(bytes(c["addresses"])).cast("Q").tolist()
        refcounts = memoryview(bytes(c["refcounts"])).cast("Q").tolist()
        driver = set(probe_modules)
        for address, (value, edges) in list(c["details"].items()):
            if value.startswith("main check_walk_equivalence.py"):
                driver.add(address)
                driver.update(target for target, label in edges if label.startswith("local"))
                del c["details"][address]
        c["refcounts"] = [r for a, r in zip(addresses, refcounts) if a not in driver]


def differences(a, b):
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            x, y = a.get(key), b.get(key)
            detail = ""
            if isinstance(x, dict) and isinstance(y, dict):
                diff = [k for k in set(x) | set(y) if x.get(k) != y.get(k)]
                detail = " (%d keys differ, e.g. %r: %r vs %r)" % (
                    len(diff), diff[0], x.get(diff[0]), y.get(diff[0])) if diff else ""
            elif isinstance(x, list) and isinstance(y, list):
                diff = [i for i in range(min(len(x), len(y))) if x[i] != y[i]]
                detail = " (lengths %d/%d, %d items differ%s)" % (
                    len(x), len(y), len(diff), ", first at %d: %r vs %r" % (diff[0], x[diff[0]], y[diff[0]]) if diff else "")
            out.append(key + detail)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("baseline_so")
    ap.add_argument("--objects", type=int, default=100_000, help="gc-tracked objects of the heap")
    ap.add_argument("--tracebacks", action="store_true", help="tracemalloc.start(25) first, dump with tracebacks")
    args = ap.parse_args()
    if args.tracebacks:
        import tracemalloc
        tracemalloc.start(25)
    sys.path.insert(0, HERE)
    import heap_builder
    import heapdiff
    new = heapdiff._probe
    old = load_baseline(args.baseline_so)
    heap = heap_builder.build_heap(args.objects)
    gc.collect()
    gc.disable()
    tmp = tempfile.mkdtemp(prefix="walk-equivalence-")
    paths = [os.path.join(tmp, "%d.hds" % i) for i in range(4)]
    raw = [os.fsencode(p) for p in paths]
    tb, probe_dir = args.tracebacks, heapdiff._PROBE_DIR
    # One statement each, no loop: a loop's iterator and variables would differ per dump.
    old.dump(raw[0], b"check", tb, probe_dir)
    new.dump(raw[1], b"check", tb, probe_dir)
    old.dump(raw[2], b"check", tb, probe_dir)
    new.dump(raw[3], b"check", tb, probe_dir)
    contents = [decoded(new, p) for p in paths]
    ignore_driver_frame(contents, {id(old), id(new)})
    control = differences(contents[0], contents[2])
    verdict = differences(contents[2], contents[3])
    print("objects: %d, edges: %d, tracebacks: %d" % (
        len(contents[3]["details"]), sum(len(d[1]) for d in contents[3]["details"].values()),
        len(contents[3].get("tracebacks", []))))
    print("control (baseline twice): %s" % ("same" if not control else "; ".join(control)))
    print("baseline vs installed: %s" % ("same" if not verdict else "; ".join(verdict)))
    for p in paths:
        os.unlink(p)
    os.rmdir(tmp)
    del heap
    return 1 if verdict else 0


if __name__ == "__main__":
    sys.exit(main())
