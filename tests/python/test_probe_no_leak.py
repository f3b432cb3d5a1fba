"""The probe must not leak: 2,000 dumps in one process leave its gc-tracked objects, the
bytes malloc has handed out and its RSS where they were after the first ones, without
tracemalloc, and with tracemalloc and the triggers armed; a quarter of the dumps are forked.
heapdiff's own diff of the first and the last measured dump shows nothing of heapdiff's.

Each case runs in a process of its own with a small heap (a dump there takes ~25 ms, most
of it fixed costs: the memory map, the file's fsync). The test command runs the 2,000 dumps
on one interpreter (HEAPDIFF_TEST_LONG=1, scripts/test.sh) and 200 on every other one: a
leak of 400 bytes per dump still shows there, one of 34 bytes in the long run.
The figures come from the process itself (gc.get_objects(), glibc's mallinfo2(), /proc)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

TIMEOUT = 600
LONG = os.environ.get("HEAPDIFF_TEST_LONG") == "1"
DUMPS = 2000 if LONG else 200
WARM = 100 if LONG else 40  # dumps before the first measure: caches (type names, labels) fill up
MALLOC_GROWTH_AT_MOST = 64 << 10
RSS_GROWTH_AT_MOST = 4 << 20

CHILD = """
import ctypes, gc, json, os, signal, sys, time, tracemalloc
import heapdiff

directory, mode, dumps, warm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == "traced":
    # Armed as in production: the signal handler, the watchdog thread (RSS and periodic
    # triggers that do not fire during the test), the exit hook, tracemalloc.
    heapdiff.install(os.path.join(directory, "triggered"), signal=signal.SIGUSR2, every="1h", rss="99%",
                     tracemalloc=10)

libc = ctypes.CDLL(None)
mallinfo2 = getattr(libc, "mallinfo2", None)

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

def malloc_in_use():
    if mallinfo2 is None:
        return -1
    mallinfo2.restype = Mallinfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def measure():
    gc.collect()
    # tracemalloc keeps every traceback it has seen until its traces are cleared, outside
    # the memory it reports: each new call path that allocates adds a little, for a long
    # while (on 3.8, ~200 KB over the first ~1,600 dumps). That is tracemalloc's memory, not
    # heapdiff's: both measures are taken with its tables emptied.
    if tracemalloc.is_tracing():
        tracemalloc.clear_traces()
    return {"gc_objects": len(gc.get_objects()), "malloc": malloc_in_use(), "rss": rss()}

app = {"users": [{"id": i, "name": "user-%d" % i} for i in range(2000)]}
scratch = os.path.join(directory, "scratch.hds")
first = os.path.join(directory, "first.hds")
last = os.path.join(directory, "last.hds")
start = time.monotonic()
figures = {}
for i in range(dumps):
    if i == warm:
        figures["warm"] = measure()
        path = first
    elif i == dumps - 1:
        figures["end"] = measure()
        path = last
    else:
        path = scratch
    if i % 4 == 3:
        heapdiff.dump(path, fork=True, wait=60)
    else:
        heapdiff.dump(path)
    if path == scratch:
        os.unlink(scratch)
figures["seconds"] = time.monotonic() - start
print(json.dumps(figures))
"""


def run_child(tmp_path, mode):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    env = dict(os.environ)
    env.pop("HEAPDIFF_TRIGGERS", None)
    proc = subprocess.run([sys.executable, "-W", "error", str(script), str(tmp_path), mode, str(DUMPS), str(WARM)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)


def diff_groups(tmp_path, group_by):
    out = subprocess.run(["heapdiff", "diff", str(tmp_path / "first.hds"), str(tmp_path / "last.hds"), "--group-by",
                          group_by, "--json"], capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["groups"]


def heapdiffs_own_growth(tmp_path, traced):
    """What of heapdiff's grew between the first and the last measured dump: objects of
    heapdiff's types, and with tracebacks, objects allocated in heapdiff's files."""
    grew = [g for g in diff_groups(tmp_path, "type") if g["key"].startswith("heapdiff") and g["count_diff"] != 0]
    if traced:
        grew += [g for g in diff_groups(tmp_path, "filename")
                 if "site-packages/heapdiff" in g["key"] and g["count_diff"] > 0]
    return grew


@pytest.mark.parametrize("mode", ["plain", "traced"])
def test_two_thousand_dumps_leave_the_process_as_it_was(tmp_path, mode):
    figures = run_child(tmp_path, mode)
    warm, end = figures["warm"], figures["end"]
    dumps = DUMPS - 1 - WARM
    # Python objects: exactly as many (the loop's own variables are the same ones).
    assert end["gc_objects"] - warm["gc_objects"] <= 2, figures
    # Native memory: what malloc has handed out and not had back (a few KiB of noise over
    # 2,000 dumps here: Python's own allocations that are not pymalloc's).
    if warm["malloc"] >= 0:
        assert end["malloc"] - warm["malloc"] < MALLOC_GROWTH_AT_MOST, (dumps, figures)
    # RSS: within 4 MiB (pymalloc's arenas, the allocator's trimming).
    assert end["rss"] - warm["rss"] < RSS_GROWTH_AT_MOST, (dumps, figures)
    assert heapdiffs_own_growth(tmp_path, mode == "traced") == []
