"""heapdiff suspects on a pair of big snapshots, against the commands it replaces.

Run by hand (not a test), with heapdiff importable and the `heapdiff` command beside the
running Python:

    python bench/bench_suspects.py --objects 1000000 [--repeat 2]

A child process builds a heap of N gc-tracked objects (heap_builder.py), dumps A, leaks
N/20 records into a module-level dict (each with a bytearray), dumps B. Then the parent
times, best of --repeat:
  heapdiff suspects A B --json       the whole hunt in one command
  heapdiff diff A B --json           + heapdiff top B --json: what a user ran before
                                     (the baseline: they still leave the clustering,
                                     names and chains to the user)
and prints each, the ratio, and whether the leak came out as suspect #1 with the right
count.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import sys
sys.path.insert(0, {here!r})
import heapdiff
from heap_builder import build_heap

class Record:
    def __init__(self, n):
        self.n = n
        self.blob = bytearray(64)

LEAK = {{}}
heap = build_heap({n})
heapdiff.dump({a!r})
for n in range({leak}):
    LEAK[n] = Record(n)
heapdiff.dump({b!r})
"""


def cli():
    beside = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    return beside if os.path.exists(beside) else "heapdiff"


def best(args, repeat):
    """Best wall time of `repeat` runs, the output, and the largest peak RSS (MiB) among them
    (os.wait4 gives each child's own)."""
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(args, stdout=out)
            _, status, usage = os.wait4(proc.pid, 0)
            times.append(time.perf_counter() - start)
            proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
            if proc.returncode != 0:
                raise SystemExit("%s failed (%s)" % (" ".join(args), proc.returncode))
            out.seek(0)
            text = out.read().decode()
        peaks.append(usage.ru_maxrss / 1024)
    return min(times), text, max(peaks)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    o = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a.hds"), os.path.join(tmp, "b.hds")
        leak = o.objects // 20
        code = CHILD.format(here=HERE, n=o.objects, a=a, b=b, leak=leak)
        subprocess.run([sys.executable, "-c", code], check=True)
        exe = cli()
        t_suspects, out, m_suspects = best([exe, "suspects", a, b, "--json"], o.repeat)
        t_diff, _, m_diff = best([exe, "diff", a, b, "--json"], o.repeat)
        t_top, _, m_top = best([exe, "top", b, "--json"], o.repeat)
        first = json.loads(out)["suspects"][0]
        print("CPython %s, %s gc-tracked objects, %s leaked Records; snapshots %.1f + %.1f MiB"
              % (sys.version.split()[0], format(o.objects, ","), format(leak, ","),
                 os.path.getsize(a) / 2**20, os.path.getsize(b) / 2**20))
        print("heapdiff suspects A B          %7.2f s  peak %6.0f MiB" % (t_suspects, m_suspects))
        print("heapdiff diff A B + top B      %7.2f s  (baseline: %.2f + %.2f; peaks %.0f, %.0f MiB)"
              % (t_diff + t_top, t_diff, t_top, m_diff, m_top))
        print("suspects / baseline: %.2fx time, %.2fx the larger peak" % (t_suspects / (t_diff + t_top),
                                                                        m_suspects / max(m_diff, m_top)))
        print("suspect #1: %s new %s held by %s (expected %s Record)"
              % (format(first["count"], ","), first["type"], (first["holder"] or {}).get("name"), format(leak, ",")))


if __name__ == "__main__":
    main()
