"""heapdiff orphans: objects whose references only C code holds. A reference leaked with
ctypes.pythonapi.Py_IncRef is exactly what a buggy C extension leaves behind."""

import ctypes
import json
import os
import tracemalloc

import heapdiff


class Orphaned:
    pass


def leak(n):
    for _ in range(n):
        obj = Orphaned()  # THE ORPHANS ARE BORN HERE
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


BIRTH_LINE = next(i for i, l in enumerate(open(__file__), 1) if l.rstrip().endswith("# THE ORPHANS ARE BORN HERE"))


def test_leaked_references_are_orphans_with_growth(run_cli, tmp_path):
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    tracemalloc.start(5)
    try:
        heapdiff.dump(a)
        leak(120)
        heapdiff.dump(b)
    finally:
        tracemalloc.stop()
    r = run_cli("orphans", a, b, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {t["type"]: t for t in data["types"]}
    row = rows["test_cli_orphans.Orphaned"]
    assert (row["count"], row["count_diff"]) == (120, 120)
    assert data["types"][0]["type"] == "test_cli_orphans.Orphaned"  # the biggest growth comes first
    assert row["traceback"][-1]["lineno"] == BIRTH_LINE
    assert os.path.samefile(row["traceback"][-1]["filename"], __file__)
    r = run_cli("orphans", b)
    assert r.returncode == 0, r.stderr
    assert "test_cli_orphans.Orphaned" in r.stdout
    assert "THE ORPHANS ARE BORN HERE" in r.stdout


def test_modules_types_and_frames_are_not_orphans(run_cli, tmp_path):
    path = str(tmp_path / "c.hds")
    heapdiff.dump(path)
    data = json.loads(run_cli("orphans", path, "--json").stdout)
    types = {t["type"] for t in data["types"]}
    assert not types & {"builtins.module", "builtins.type", "builtins.frame"}


def test_orphans_bad_input(run_cli, tmp_path):
    r = run_cli("orphans", tmp_path / "missing.hds")
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    path = str(tmp_path / "d.hds")
    heapdiff.dump(path)
    assert run_cli("orphans", path, path, path).returncode != 0
