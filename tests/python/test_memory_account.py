"""`heapdiff memory`: the account of RSS on real processes, one per kind of memory the
account names (examples/memory/). Each scenario runs alone in a fresh interpreter (this one's,
the venv's) and takes its two snapshots; the account of the pair must put the growth in the
scenario's category, within 10%, name it in its first finding, and leave at most 5% of RSS in
"other".

What each growth is compared with ("expected"):
  native_leak.py   the bytes it malloc'd and never freed (20,480 x 4 KiB = 80 MiB)
  big_mmap.py      the bytes it mapped and wrote (256 MiB)
  numpy_arrays.py  the arrays' nbytes (50 x 4 MiB = 200 MiB)
  glibc_arenas.py  the RSS growth between its snapshots: what glibc keeps of the ~400 MB the
                   threads allocated is glibc's choice, not the program's
  fragmentation.py one state: after the frees, pymalloc's free space is most of RSS
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import cli_path
from heapdiff import _probe

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "memory")
MiB = 1 << 20
TOLERANCE = 0.10  # the category's growth within 10% of the expected growth
OTHER_AT_MOST = 0.05  # at least 95% of RSS in named categories
FRAGMENTATION_AT_LEAST = 0.75  # pymalloc free space / RSS after fragmentation.py's frees

NATIVE_LEAK = 20480 * 4096
BIG_MMAP = 256 * MiB
NUMPY_ARRAYS = 50 * 4 * MiB


def run_scenario(tmp_path_factory, name, *args):
    out = tmp_path_factory.mktemp(name)
    before, after = str(out / "before.hds"), str(out / "after.hds")
    env = dict(os.environ)
    for var in ("PYTHONMALLOC", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "MALLOC_ARENA_MAX", "HEAPDIFF_TRIGGERS"):
        env.pop(var, None)  # each would change what the scenario shows
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name + ".py"), before, after, *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("wrote %s, %s" % (before, after)), proc.stdout
    return before, after


def cli(*args):
    exe = cli_path()
    assert exe, "the heapdiff command is not installed next to this interpreter"
    proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def memory_json(*paths):
    return json.loads(cli("memory", *paths, "--json"))


def category(snapshot, name):
    return next(c for c in snapshot["categories"] if c["name"] == name)


def growth(data, name):
    return next(g["bytes"] for g in data["growth"] if g["name"] == name)


def figures(data):
    """The numbers an assertion message shows: RSS, each category, the findings' kinds."""
    rows = []
    for s in data["snapshots"]:
        rows.append("%s: RSS %.1f MiB, %s" % (os.path.basename(s["path"]), s["rss"] / MiB, ", ".join(
            "%s %.1f" % (c["name"], c["bytes"] / MiB) for c in s["categories"] if c["bytes"] >= MiB // 10)))
    rows.append("growth: " + ", ".join("%s %+.1f" % (g["name"], g["bytes"] / MiB) for g in data["growth"]))
    rows.append("findings: " + ", ".join(f["kind"] for f in data["findings"]))
    return "\n".join(rows)


def assert_others_small(data):
    for s in data["snapshots"]:
        assert s["available"], figures(data)
        other = category(s, "other")["bytes"]
        assert other <= OTHER_AT_MOST * s["rss"], "other is %.1f%% of RSS\n%s" % (100 * other / s["rss"], figures(data))


def assert_growth_lands(data, name, expected, kind):
    grew = growth(data, name)
    rss_growth = data["snapshots"][-1]["rss"] - data["snapshots"][0]["rss"]
    assert abs(grew - expected) <= TOLERANCE * expected, (
        "%s grew by %.1f MiB, expected %.1f MiB (RSS grew by %.1f MiB)\n%s"
        % (name, grew / MiB, expected / MiB, rss_growth / MiB, figures(data)))
    first = data["findings"][0]
    assert (first["kind"], first["category"]) == (kind, name), figures(data)
    assert_others_small(data)


@pytest.fixture(scope="module")
def native_leak(tmp_path_factory):
    return run_scenario(tmp_path_factory, "native_leak")


@pytest.fixture(scope="module")
def fragmentation(tmp_path_factory):
    return run_scenario(tmp_path_factory, "fragmentation")


def test_native_leak_is_native_allocations(native_leak):
    assert_growth_lands(memory_json(*native_leak), "native", NATIVE_LEAK, "native_grew")


def test_diff_of_a_native_leak_names_native_allocations_not_tracemalloc(native_leak):
    text = cli("diff", *native_leak)
    assert "tracemalloc on" not in text.lower(), text
    note = [line for line in text.splitlines() if line.startswith("note: RSS grew")]
    assert len(note) == 1 and "native allocations grew by" in note[0], text


def test_fragmentation_is_pymalloc_free_space(fragmentation):
    source = _probe.read_snapshot(fragmentation[1])["facts"].get("pymalloc.source", "")
    if source.startswith("not read"):
        # Before 3.12 the arenas are found through libpython's symbol table; pyenv's and
        # python.org's builds keep it, so there the account must have them.
        pyenv = "/.pyenv/versions/" in os.path.realpath(sys.base_prefix)
        if "has no symbol table" in source and not pyenv:
            pytest.skip("pymalloc's arenas cannot be read here: " + source)
        pytest.fail("pymalloc.source: " + source)
    data = memory_json(fragmentation[1])
    after = data["snapshots"][0]
    free = category(after, "pymalloc_free")["bytes"]
    assert free >= FRAGMENTATION_AT_LEAST * after["rss"], (
        "pymalloc free space is %.0f%% of RSS\n%s" % (100 * free / after["rss"], figures(data)))
    assert "pymalloc_fragmentation" in [f["kind"] for f in data["findings"]], figures(data)
    assert_others_small(data)
    pair = memory_json(*fragmentation)
    assert pair["findings"][0]["kind"] == "pymalloc_fragmentation", figures(pair)
    assert_others_small(pair)


def test_summary_shows_where_the_memory_went(fragmentation):
    text = cli("summary", fragmentation[1])
    assert "where the memory went" in text, text
    assert "pymalloc free space (fragmentation)" in text, text


def test_glibc_arenas_hold_the_freed_memory(tmp_path_factory):
    data = memory_json(*run_scenario(tmp_path_factory, "glibc_arenas"))
    rss_growth = data["snapshots"][1]["rss"] - data["snapshots"][0]["rss"]
    assert rss_growth >= 200 * MiB, figures(data)  # the threads' arenas stayed resident
    assert_growth_lands(data, "malloc_free", rss_growth, "malloc_free")


def test_big_mmap_is_anonymous_mmaps(tmp_path_factory):
    assert_growth_lands(memory_json(*run_scenario(tmp_path_factory, "big_mmap")), "mmaps", BIG_MMAP, "mmaps_grew")


def test_numpy_arrays_are_native_allocations(tmp_path_factory):
    if importlib.util.find_spec("numpy") is None:
        pytest.skip("numpy is not installed for this interpreter")
    data = memory_json(*run_scenario(tmp_path_factory, "numpy_arrays"))
    assert_growth_lands(data, "native", NUMPY_ARRAYS, "native_grew")
