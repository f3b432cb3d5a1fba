"""The heap that reading and analysing real snapshots takes, against FORMAT.md's bound
("Memory", core/include/heapdiff/heap_bound.h): the figures behind its costs.

    python bench/fuzz/memory_figures.py [--fuzzer build-fuzz/tests/fuzz/fuzz_reader] [DIR]

Dumps heaps that push one claim each as far as real heaps go (many objects and few edges,
many edges per object, many table rows, long values, a plain interpreter), runs the fuzz
target on each file with HEAPDIFF_FUZZ_MEMORY_LOG (it measures the heap through ASan's
malloc hooks and asserts the bound, as on every fuzzed input), and prints, per file and
step, the claims, the heap at its highest, the bound and their ratio, then the highest
ratio of all (goal: under 1, with a margin).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

CASES = {
    # The most objects per file byte seen: self-referencing lists, the collector off.
    "objects": """
        import gc
        gc.disable()
        for i in range(1000000):
            a = []; a.append(a)
    """,
    # The most edges per file byte: lists of many references to one object.
    "edges": """
        one = object()
        keep = [[one] * 5000 for _ in range(2000)]
    """,
    # Table rows: tracebacks and frames (tracemalloc, deep and varied), strings, types.
    "rows": """
        import tracemalloc
        tracemalloc.start(50)
        keep = []
        ns = {"keep": keep}
        for i in range(3000):
            exec("class T%d: pass\\ndef f%d(d):\\n    return [T%d()] if d == 0 else f%d(d - 1)\\n"
                 "keep.append(f%d(%d))" % (i, i, i, i, i, i % 40), ns)
    """,
    # Values: long texts and bytes kept whole.
    "values": """
        keep = [("x%d" % i) * 200 for i in range(20000)] + [bytes(range(256)) * 8 for _ in range(2000)]
    """,
    "plain": "",
}

FOOTER = """
import heapdiff, sys
heapdiff.dump(sys.argv[1], label="memory figures")
"""


def parse(line):
    step, rest = line.split(" file=", 1)
    fields = dict(kv.split("=") for kv in ("file=" + rest).split())
    return step, {k: int(v) for k, v in fields.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--fuzzer", default=os.path.join(ROOT, "build-fuzz", "tests", "fuzz", "fuzz_reader"))
    args = parser.parse_args()
    directory = args.directory or tempfile.mkdtemp(prefix="heapdiff-memory-")
    os.makedirs(directory, exist_ok=True)
    worst = 0.0
    print("%-8s %-12s %9s %9s %9s %10s %7s %12s %12s %6s" % (
        "heap", "step", "file", "objects", "edges", "decomp.", "rows", "heap bytes", "bound", "ratio"))
    for name, body in CASES.items():
        path = os.path.join(directory, name + ".hds")
        subprocess.run([sys.executable, "-c", textwrap.dedent(body) + FOOTER, path], check=True, timeout=600)
        log = os.path.join(directory, name + ".log")
        if os.path.exists(log):
            os.unlink(log)
        env = dict(os.environ, HEAPDIFF_FUZZ_MEMORY_LOG=log)
        proc = subprocess.run([args.fuzzer, path], capture_output=True, text=True, timeout=1800, env=env)
        if proc.returncode != 0:
            sys.exit("%s: the fuzz target failed on %s:\n%s" % (name, path, proc.stderr[-3000:]))
        with open(log) as f:
            for line in f:
                step, d = parse(line)
                ratio = d["heap"] / d["bound"]
                worst = max(worst, ratio)
                print("%-8s %-12s %9d %9d %9d %10d %7d %12d %12d %6.2f" % (
                    name, step, d["file"], d["objects"], d["edges"], d["decompressed"], d["rows"], d["heap"],
                    d["bound"], ratio))
    print("highest heap/bound: %.2f (goal < 1)" % worst)


if __name__ == "__main__":
    main()
