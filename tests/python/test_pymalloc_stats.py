"""_probe.pymalloc_stats() on real interpreters: pymalloc's arenas and size classes read in
place (3.12+ from the interpreter, 3.8-3.11 from obmalloc.c's statics found in libpython's
symbol table), checked against what the objects weigh, against freeing most of them (the
fragmentation case) and against CPython's own sys._debugmallocstats()."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

# The heap is built and measured in a fresh interpreter: this one's (pytest's) is large and
# busy. Prints one JSON line per measurement.
MEASURE = r"""
import json, sys
from heapdiff import _probe

def totals(label):
    s = _probe.pymalloc_stats()
    if "why_not" in s:
        print(json.dumps({"label": label, "why_not": s["why_not"]}), flush=True)
        sys.exit(0)
    print(json.dumps({
        "label": label,
        "source": s["source"], "arena_size": s["arena_size"], "pool_size": s["pool_size"],
        "skipped_pools": s["skipped_pools"],
        "arenas": len(s["arenas"]),
        "arena_bytes": sum(a[1] for a in s["arenas"]),
        "used_bytes": sum(a[4] for a in s["arenas"]),
        "used_blocks": sum(a[5] for a in s["arenas"]),
        "class_bytes": sum(c[0] * c[2] for c in s["classes"]),
        "blocks_free": sum(c[3] for c in s["classes"]),
        "pools_ok": all(0 <= a[3] <= a[2] for a in s["arenas"]),
    }), flush=True)
"""

HEAP = MEASURE + r"""
totals("before")
N = 1_000_000
tuples = [(i + 1000,) for i in range(N)]
# Block sizes: a 1-tuple and an int each in one block of their size rounded to 16 bytes.
weights = sum(sys.getsizeof(t) + sys.getsizeof(t[0]) for t in tuples)
print(json.dumps({"label": "weights", "bytes": weights, "objects": 2 * N}), flush=True)
totals("allocated")
kept = tuples[::20]  # 5% stay, spread over every pool
del tuples
totals("freed")
"""


def run(code, env_extra=None, args=()):
    env = dict(os.environ)
    env.pop("PYTHONMALLOC", None)
    env.pop("PYTHONDEVMODE", None)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, *args, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = {}
    for line in proc.stdout.splitlines():
        item = json.loads(line)
        lines[item["label"]] = item
    return lines, proc.stderr


def test_geometry_and_source():
    out, _ = run(MEASURE + "totals('now')")
    now = out["now"]
    assert "why_not" not in now, now["why_not"]
    if sys.version_info >= (3, 10):
        assert (now["arena_size"], now["pool_size"]) == (1 << 20, 16 << 10)
    else:
        assert (now["arena_size"], now["pool_size"]) == (256 << 10, 4 << 10)
    if sys.version_info >= (3, 12):
        assert now["source"] == "interp->obmalloc"
    else:
        assert now["source"].startswith("symbols arenas, maxarenas of /"), now["source"]
        assert "python" in now["source"]
    assert now["skipped_pools"] == 0
    assert now["pools_ok"]
    assert now["used_bytes"] == now["class_bytes"]  # the arenas' view and the classes' agree


def test_a_million_tuples_then_freeing_most_of_them():
    out, _ = run(HEAP)
    before, allocated, freed, weights = out["before"], out["allocated"], out["freed"], out["weights"]
    for s in (before, allocated, freed):
        assert "why_not" not in s, s["why_not"]
        assert s["skipped_pools"] == 0
        assert s["used_bytes"] == s["class_bytes"]
    grown = allocated["used_bytes"] - before["used_bytes"]
    # (a) The arenas hold them, and the used bytes grew by what they weigh: at least 90% of
    # getsizeof's sum, at most its 16-byte rounding (80 bytes a pair) and a little besides.
    assert allocated["arena_bytes"] >= weights["bytes"]
    assert grown >= 0.9 * weights["bytes"], (grown, weights)
    # Each block is its object's getsizeof rounded up to 16 bytes (3.14 adds its own
    # per-object padding beyond 3.13's 80-byte pair, so the bound is the rounding itself).
    assert grown <= (weights["bytes"] + 15 * weights["objects"]) * 1.02, (grown, weights)
    assert allocated["used_blocks"] - before["used_blocks"] >= 0.99 * weights["objects"]
    # (b) 95% freed, one in twenty kept in every pool: the used bytes fall with them, but the
    # arenas stay (each still holds live blocks) and their pools' free blocks grow instead.
    dropped = allocated["used_bytes"] - freed["used_bytes"]
    assert dropped >= 0.9 * 0.95 * grown, (dropped, grown)
    assert freed["arenas"] >= 0.95 * allocated["arenas"], (freed["arenas"], allocated["arenas"])
    assert freed["blocks_free"] - allocated["blocks_free"] >= 0.9 * 0.95 * weights["objects"]


def debugmallocstats_figures(text):
    def figure(name):
        m = re.search(r"^# " + re.escape(name) + r"\s*=\s*([\d,]+)$", text, re.M)
        assert m, (name, text[:2000])
        return int(m.group(1).replace(",", ""))

    classes = {}
    for m in re.finditer(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", text, re.M):
        size, pools, in_use, avail = (int(g) for g in m.groups()[1:])
        classes[size] = (pools, in_use, avail)
    per_arena = re.search(r"^\d+ arenas \* (\d+) bytes/arena", text, re.M)
    return {
        "arenas": figure("arenas allocated current"),
        "bytes": figure("bytes in allocated blocks"),
        "arena_size": int(per_arena.group(1)),
        "classes": classes,
    }


def test_the_figures_agree_with_debugmallocstats():
    # The same moment seen twice: _probe.pymalloc_stats() and, right after it, CPython's own
    # walk (to stderr). Only the blocks of the dict, tuples and ints the binding returns lie
    # between them: per arena a 6-tuple and its ints (under 256 bytes), and some for the rest.
    code = r"""
import json, sys
from heapdiff import _probe
garbage = [[str(i)] * (i % 7) for i in range(200_000)]
del garbage[::3]
s = _probe.pymalloc_stats()
sys._debugmallocstats()
print(json.dumps(s))
"""
    env = dict(os.environ)
    env.pop("PYTHONMALLOC", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert "why_not" not in s, s["why_not"]
    theirs = debugmallocstats_figures(proc.stderr)
    assert theirs["arena_size"] == s["arena_size"]
    arenas = len(s["arenas"])
    returned = 64 * 1024 + 256 * arenas
    assert abs(arenas - theirs["arenas"]) <= 1 + returned // s["arena_size"], (arenas, theirs["arenas"])
    ours = sum(a[4] for a in s["arenas"])
    assert abs(ours - theirs["bytes"]) <= returned, (ours, theirs["bytes"])
    assert theirs["bytes"] > 10_000_000  # the heap above is there: not two empty figures
    for size, pools, in_use, free in s["classes"]:
        their_pools, their_in_use, their_free = theirs["classes"].get(size, (0, 0, 0))
        # Returned blocks of this size: at most `returned` bytes' worth.
        blocks = returned // size
        assert abs(pools - their_pools) <= 2 + blocks * size // s["pool_size"], (size, pools, their_pools)
        assert abs(in_use - their_in_use) <= blocks, (size, in_use, their_in_use)
        assert abs(free - their_free) <= blocks + 2 * s["pool_size"] // size, (size, free, their_free)


@pytest.mark.parametrize(
    "env_extra,args",
    [({"PYTHONMALLOC": "malloc"}, ()), ({}, ("-X", "dev")), ({"PYTHONMALLOC": "pymalloc_debug"}, ())],
    ids=["malloc", "dev-mode", "pymalloc_debug"],
)
def test_another_allocator_is_said(env_extra, args):
    out, _ = run(MEASURE + "totals('now')", env_extra, args)
    assert out["now"]["why_not"].startswith("the object allocator is not plain pymalloc"), out["now"]


def libpython_file():
    import sysconfig

    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return None
    path = os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME"))
    return path if os.path.exists(path) else None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+ reads the interpreter, not the symbol table")
def test_a_stripped_libpython_is_named(tmp_path):
    library = libpython_file()
    strip = shutil.which("strip")
    if not library or not strip:
        pytest.skip("needs a shared libpython and strip")
    copy = tmp_path / os.path.basename(library)
    subprocess.run([strip, "--strip-all", "-o", str(copy), library], check=True)
    out, _ = run(MEASURE + "totals('now')", {"LD_LIBRARY_PATH": str(tmp_path)})
    why_not = out["now"]["why_not"]
    assert str(copy) in why_not and "has no symbol table" in why_not and "-dbg" in why_not, why_not


def test_a_subinterpreter_is_said():
    _testcapi = pytest.importorskip("_testcapi")
    code = (
        "import os\nfrom heapdiff import _probe\n"
        "os.write(1, ('why_not: %s\\n' % _probe.pymalloc_stats().get('why_not')).encode())\n"
    )
    script = "import _testcapi, sys\nsys.exit(_testcapi.run_in_subinterp(%r))\n" % code
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "why_not: a subinterpreter: only the main interpreter's arenas are read", proc.stdout
