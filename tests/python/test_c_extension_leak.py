"""A C extension that leaks references: memory that no heap walk can reach still shows up at
the Python line that called the extension, through tracemalloc's statistics of every traced
block (`heapdiff diff --group-by lineno`), while the object view (`--group-by type`) does not
see it at all before 3.12. That is what traceback grouping is for. From 3.12 the allocator
scan finds the leaked objects in tracemalloc's blocks (tests/python/test_unreferenced.py).

The extension (leaky_ext/leaky.c) is compiled here with gcc against the running
interpreter's headers; without gcc these tests fail, they do not skip.
"""

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tracemalloc

import pytest

import heapdiff

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "leaky_ext", "leaky.c")
SCANS = sys.version_info >= (3, 12)  # the allocator scan (docs/PROBE.md, "Objects nothing refers to")
LEAKED = 2000  # objects leaked by the one call
SIZE = 1024  # payload bytes of each
BLOCK = sys.getsizeof(bytes(SIZE))  # what one leaked object allocates: header + payload + NUL


def build_leaky(out_dir):
    """Compile leaky.c into out_dir with the running interpreter's headers, and import it."""
    target = os.path.join(str(out_dir), "leaky" + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = ["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-I", sysconfig.get_paths()["include"], SOURCE, "-o", target]
    r = subprocess.run(cmd, capture_output=True, text=True)  # no gcc: FileNotFoundError, a failure
    assert r.returncode == 0, "%s\n%s" % (" ".join(cmd), r.stderr)
    spec = importlib.util.spec_from_file_location("leaky", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    return build_leaky(tmp_path_factory.mktemp("leaky_ext"))


LEAK_LINE = next(i for i, l in enumerate(open(__file__), 1) if l.rstrip().endswith("# THE LEAKING CALL"))


@pytest.fixture
def snapshots(leaky, tmp_path):
    """Dump, leak LEAKED objects from the line marked below, dump again: (before, after)."""
    before, after = str(tmp_path / "before.hds"), str(tmp_path / "after.hds")
    assert not tracemalloc.is_tracing()
    tracemalloc.start(25)
    try:
        heapdiff.dump(before)
        leaky.leak(LEAKED, SIZE)  # THE LEAKING CALL
        heapdiff.dump(after)
    finally:
        tracemalloc.stop()
    return before, after


def diff_json(run_cli, *args):
    r = run_cli("diff", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def is_leak_line(frame):
    return frame["lineno"] == LEAK_LINE and os.path.samefile(frame["filename"], __file__)


def test_the_extension_leaks(leaky):
    start = leaky.leaked()
    leaky.leak(3, 10)
    assert leaky.leaked() == start + 3
    with pytest.raises(ValueError):
        leaky.leak(-1)


def test_lineno_finds_the_call_that_leaked(run_cli, snapshots):
    data = diff_json(run_cli, *snapshots, "--group-by", "lineno")
    rows = [g for g in data["groups"] if is_leak_line(g["traceback"][-1])]
    assert len(rows) == 1, data["groups"][:5]
    row = rows[0]
    # Every leaked block, exactly, at the line that called the extension ...
    assert (row["count_diff"], row["size_diff"]) == (LEAKED, LEAKED * BLOCK)
    assert (row["count"], row["size"]) == (LEAKED, LEAKED * BLOCK)
    # ... and it is the biggest growth in the process.
    assert is_leak_line(data["groups"][0]["traceback"][-1])
    # The leaked bytes are referenced by nothing: before 3.12 no walked object explains
    # them; from 3.12 the allocator scan finds them in tracemalloc's blocks, every one.
    assert row["walked_size"] == (LEAKED * BLOCK if SCANS else 0)


def test_traceback_table_says_nothing_explains_it(run_cli, snapshots):
    r = run_cli("diff", *snapshots, "--group-by", "traceback", "--top", "1", "--no-color")
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[1]
    assert first.startswith("#1 ") and ":%d" % LEAK_LINE in first, r.stdout
    assert "count=%s (+%s)" % ("{:,}".format(LEAKED), "{:,}".format(LEAKED)) in first
    assert first.endswith("walked objects explain %s" % ("100%" if SCANS else "0%")), first
    assert "leaky.leak(LEAKED, SIZE)  # THE LEAKING CALL" in r.stdout


def test_type_grouping_sees_it_only_through_the_allocator_scan(run_cli, snapshots):
    data = diff_json(run_cli, *snapshots)
    rows = {g["key"]: g for g in data["groups"]}
    if SCANS:
        # 3.12+: tracemalloc's table gives the leaked blocks (too big for pymalloc), and
        # each holds a live bytes object the walk did not reach: counted, exactly.
        assert rows["builtins.bytes"]["count_diff"] == LEAKED, data["groups"][:5]
        assert abs(rows["builtins.bytes"]["size_diff"] - LEAKED * BLOCK) < 1000  # other bytes may change a little
        orphans = json.loads(run_cli("orphans", *snapshots, "--json").stdout)
        row = next(t for t in orphans["types"] if t["type"] == "builtins.bytes")
        assert row["count_diff"] == LEAKED and row["unreferenced"] >= LEAKED, row
        return
    # Before 3.12 the walk starts from what the interpreter can reach; the leaked bytes are not.
    assert "builtins.bytes" not in rows or abs(rows["builtins.bytes"]["count_diff"]) < 10
    assert all(g["count_diff"] < LEAKED // 10 for g in data["groups"]), data["groups"][:5]
    growth = sum(g["size_diff"] for g in data["groups"] if g["size_diff"] > 0)
    assert growth < LEAKED * SIZE // 10, data["groups"][:5]
