"""The --json contract of summary, diff, orphans, garbage, top and retained (docs/JSON.md):
on snapshots of this process made by the real probe, the exact keys at every level, their
types, and values the test put there itself; then the Python API that reads them."""

import ctypes
import gc
import json
import tracemalloc

import pytest

import heapdiff
from heapdiff import interactive

KEPT, LEAKED, CYCLES = 700, 90, 60
MODULE = __name__


class Kept:
    pass


class Leaked:
    pass


class Cyclic:
    pass


# --- the documented shapes (docs/JSON.md) -----------------------------------------------

NULLABLE_STR = (str, type(None))
TYPE_ROW = {"type": str, "count": int, "size": int}
OBJECT = {"address": str, "type": str, "label": str, "size": int, "name": NULLABLE_STR}
FRAME = {"filename": str, "lineno": int}
SUMMARY = {"objects": int, "bytes": int, "gc_tracked": int, "label": str, "unreferenced": dict,
           "garbage": dict, "types": list}
SUMMARY_OPTIONAL = {"rss": int, "tracemalloc": dict, "during_collection": dict, "memory": dict}
ACCOUNT = {"available": bool, "rss": int, "process_rss": (int, type(None)), "categories": list, "objects": dict,
           "pymalloc": dict, "malloc": dict, "mappings": list, "files": list, "traced_domains": list, "unmeasured_types": list, "cgroup": dict,
           "map_seconds": (float, type(None))}
CATEGORY = {"name": str, "title": str, "bytes": int, "percent": (float, int), "estimated": bool}
CATEGORIES = ["objects", "pymalloc_free", "pymalloc_other", "native", "malloc_free", "mmaps", "mapped_files", "stacks",
              "code", "other"]
MAPPING_KIND = {"kind": str, "mappings": int, "size": int, "rss": int, "pss": int, "private_dirty": int, "swap": int}
FILE_ROW = {"path": str, "kind": str, "mappings": int, "size": int, "rss": int, "pss": int, "swap": int}
FINDING = {"kind": str, "category": str, "bytes": int, "text": str}
DIFF = {"group_by": str, "snapshots": list, "warnings": list, "notes": list, "groups": list}
GROUP = {"key": str, "count": int, "size": int, "count_diff": int, "size_diff": int, "new": int, "freed": int}
TRACE_GROUP = dict(GROUP, walked_size=int, traceback=list)
ORPHANS = {"objects": int, "bytes": int, "unreferenced_searched": bool, "unreferenced_search": str,
           "unreferenced_objects": int, "types": list}
ORPHAN_ROW = dict(TYPE_ROW, count_diff=int, size_diff=int, unreferenced=int, values=list, traceback=list)
GARBAGE = {"objects": int, "bytes": int, "finalizers": int, "in_gc_garbage": int, "types": list}
GARBAGE_ROW = dict(TYPE_ROW, finalizers=int, in_gc_garbage=int, sampled=int, cycles=list)


def is_a(value, kind):
    """isinstance, but a bool is not an int (JSON true is not 1)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return any(type(value) is bool if k is bool else (type(value) is k) for k in kinds)


def check(doc, fields, optional=None):
    """`doc` has exactly `fields` (and any of `optional`), each of its documented type.
    Any object may say which of its heap texts were shortened (docs/JSON.md, "truncated"):
    a cycle's shape through long names is, whichever test left the frames it runs through."""
    optional = dict(optional or {}, truncated=list)
    assert set(fields) <= set(doc) <= set(fields) | set(optional), sorted(doc)
    for key, value in doc.items():
        kind = fields.get(key, optional.get(key))
        assert is_a(value, kind), (key, value)


def cli_json(run_cli, *args):
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1  # one line
    return json.loads(r.stdout)


def rows_by_type(rows, key="type"):
    return {row[key]: row for row in rows}


# --- the snapshots ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def heaps(tmp_path_factory):
    """before.hds; after.hds with KEPT Kept objects, LEAKED Leaked objects only C holds
    and CYCLES pairs of Cyclic in dropped cycles; later.hds with all of it still there."""
    d = tmp_path_factory.mktemp("contract")
    paths = {name: str(d / (name + ".hds")) for name in ("before", "after", "later")}
    kept = []
    was_enabled = gc.isenabled()
    gc.disable()  # the cycles below stay trash until the snapshots are taken
    tracemalloc.start(5)
    try:
        heapdiff.dump(paths["before"], label="before")
        kept.extend(Kept() for _ in range(KEPT))
        for _ in range(LEAKED):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(Leaked()))
        for _ in range(CYCLES):
            a, b = Cyclic(), Cyclic()
            a.peer, b.peer = b, a
        del a, b
        heapdiff.dump(paths["after"], label="after")
        heapdiff.dump(paths["later"], label="later")
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()
    yield paths
    del kept


# --- the commands -------------------------------------------------------------------------


def check_account(account):
    check(account, ACCOUNT)
    assert [c["name"] for c in account["categories"]] == CATEGORIES
    for row in account["categories"]:
        check(row, CATEGORY)
    assert sum(c["bytes"] for c in account["categories"]) == account["rss"]
    for row in account["mappings"]:
        check(row, MAPPING_KIND)
    for row in account["files"]:
        check(row, FILE_ROW)
    check(account["cgroup"], {"current": (int, type(None)), "limit": (int, type(None))})
    # pyenv's libpython keeps its symbols (before 3.12); 3.12+ reads interp->obmalloc.
    assert account["pymalloc"]["read"], account["pymalloc"]["source"]
    assert account["malloc"]["allocator"].startswith("glibc")


def test_memory(run_cli, heaps):
    doc = cli_json(run_cli, "memory", heaps["before"], heaps["after"])
    check(doc, {"snapshots": list, "growth": list, "findings": list})
    assert len(doc["snapshots"]) == 2
    for account in doc["snapshots"]:
        path = account.pop("path")
        assert path in (heaps["before"], heaps["after"])
        check_account(account)
    assert [g["name"] for g in doc["growth"]] == ["rss"] + CATEGORIES
    for row in doc["growth"]:
        check(row, {"name": str, "bytes": int})
    assert doc["findings"]
    for row in doc["findings"]:
        check(row, FINDING)
        assert row["category"] in CATEGORIES


def test_summary(run_cli, heaps):
    doc = cli_json(run_cli, "summary", heaps["after"])
    check(doc, SUMMARY, SUMMARY_OPTIONAL)
    check_account(doc["memory"])
    check(doc["unreferenced"], {"searched": bool, "search": str, "objects": int})
    check(doc["garbage"], {"objects": int, "bytes": int})
    assert "tracemalloc" in doc  # it was tracing
    check(doc["tracemalloc"], {"traced": int, "peak": int})
    for row in doc["types"]:
        check(row, TYPE_ROW)
    types = rows_by_type(doc["types"])
    assert types[MODULE + ".Kept"]["count"] >= KEPT
    assert types[MODULE + ".Cyclic"]["count"] >= 2 * CYCLES
    assert doc["label"] == "after"
    assert doc["objects"] == sum(r["count"] for r in doc["types"])
    assert doc["bytes"] == sum(r["size"] for r in doc["types"])
    assert doc["garbage"]["objects"] >= 2 * CYCLES
    counts = [(-r["count"], -r["size"], r["type"]) for r in doc["types"]]
    assert counts == sorted(counts)  # by count, then size, then name


def test_diff_by_type(run_cli, heaps):
    doc = cli_json(run_cli, "diff", heaps["before"], heaps["after"])
    check(doc, DIFF)
    assert doc["group_by"] == "type"
    assert doc["snapshots"] == [heaps["before"], heaps["after"]]
    assert all(is_a(t, str) for t in doc["warnings"] + doc["notes"])
    for group in doc["groups"]:
        check(group, GROUP)
    kept = rows_by_type(doc["groups"], "key")[MODULE + ".Kept"]
    assert (kept["count"], kept["count_diff"], kept["new"]) == (KEPT, KEPT, KEPT)
    assert kept["size_diff"] == kept["size"] > 0


def test_diff_by_line_and_survivors(run_cli, heaps):
    doc = cli_json(run_cli, "diff", heaps["before"], heaps["after"], "--group-by", "lineno")
    check(doc, DIFF)
    assert doc["groups"]
    for group in doc["groups"]:
        check(group, TRACE_GROUP)
        for frame in group["traceback"]:
            check(frame, FRAME)
    three = cli_json(run_cli, "diff", heaps["before"], heaps["after"], heaps["later"])
    check(three, dict(DIFF, churn=dict))
    check(three["churn"], {"count": int, "size": int})
    assert rows_by_type(three["groups"], "key")[MODULE + ".Kept"]["count"] == KEPT  # every one survived


def test_orphans(run_cli, heaps):
    doc = cli_json(run_cli, "orphans", heaps["before"], heaps["after"])
    check(doc, ORPHANS)
    for row in doc["types"]:
        check(row, ORPHAN_ROW)
        for value in row["values"]:
            check(value, {"value": str, "count": int})
        for frame in row["traceback"]:
            check(frame, FRAME)
    leaked = rows_by_type(doc["types"])[MODULE + ".Leaked"]
    assert (leaked["count"], leaked["count_diff"]) == (LEAKED, LEAKED)
    assert leaked["size_diff"] == leaked["size"] > 0
    assert leaked["traceback"], "allocated under tracemalloc: the site is known"
    growth = [(-abs(r["size_diff"]), -abs(r["count_diff"]), -r["size"], -r["count"], r["type"]) for r in doc["types"]]
    assert growth == sorted(growth)  # the one ordering, by growth
    one = cli_json(run_cli, "orphans", heaps["after"])
    check(one, ORPHANS)
    assert rows_by_type(one["types"])[MODULE + ".Leaked"]["count_diff"] == 0


def test_garbage(run_cli, heaps):
    doc = cli_json(run_cli, "garbage", heaps["after"])
    check(doc, GARBAGE)
    for row in doc["types"]:
        check(row, GARBAGE_ROW)
        for cycle in row["cycles"]:
            check(cycle, {"shape": str, "count": int})
    cyclic = rows_by_type(doc["types"])[MODULE + ".Cyclic"]
    assert cyclic["count"] >= 2 * CYCLES
    assert 0 < cyclic["sampled"] <= 20
    # 3.11+ label the reference .peer (inline values); before, it goes through __dict__: ['peer']
    assert any(".peer" in c["shape"] or "['peer']" in c["shape"] for c in cyclic["cycles"])
    sizes = [(-r["size"], -r["count"], r["type"]) for r in doc["types"]]
    assert sizes == sorted(sizes)  # by size, then count, then name


def test_top(run_cli, heaps):
    objects = cli_json(run_cli, "top", heaps["after"], "--top", "5")
    check(objects, {"by": str, "group_by": str, "rows": list})
    assert (objects["by"], objects["group_by"], len(objects["rows"])) == ("retained", "object", 5)
    for row in objects["rows"]:
        check(row, dict(OBJECT, retained=int))
    by_size = cli_json(run_cli, "top", heaps["after"], "--by", "size", "--top", "3")
    for row in by_size["rows"]:
        check(row, OBJECT)  # no "retained" when it is not measured
    types = cli_json(run_cli, "top", heaps["after"], "--by", "count", "--top", "0")
    assert (types["by"], types["group_by"]) == ("count", "type")
    for row in types["rows"]:
        check(row, dict(TYPE_ROW, retained=int))
    assert rows_by_type(types["rows"])[MODULE + ".Kept"]["count"] >= KEPT


def test_retained(run_cli, heaps):
    doc = cli_json(run_cli, "retained", heaps["after"], "--type", "Kept")
    check(doc, {"object": dict, "objects": int, "bytes": int, "types": list})
    check(doc["object"], dict(OBJECT, retained=int))
    assert doc["object"]["type"] == MODULE + ".Kept"
    assert doc["object"]["retained"] == doc["bytes"] == sum(r["size"] for r in doc["types"])
    assert doc["objects"] == sum(r["count"] for r in doc["types"]) >= 1
    for row in doc["types"]:
        check(row, TYPE_ROW)


# --- the Python API that reads these documents -----------------------------------------


def test_api_reads_summary_and_diff(heaps):
    summary = interactive.Snapshot(heaps["after"]).summary()
    kept = [t for t in summary["types"] if t.type == MODULE + ".Kept"]
    assert kept and kept[0].count >= KEPT
    rows = interactive.diff(heaps["before"], heaps["after"])
    grew = [r for r in rows if r.key == MODULE + ".Kept"]
    assert grew and (grew[0].count_diff, grew[0].new) == (KEPT, KEPT)
    survivors = interactive.Snapshot(heaps["before"]).diff(heaps["after"], type="*Kept")
    assert [r.key for r in survivors] == [MODULE + ".Kept"]


def test_api_counts_this_process():
    extra = [Kept() for _ in range(KEPT)]
    assert interactive.count("Kept") >= KEPT
    assert dict(interactive.typestats(shortnames=False))[MODULE + ".Kept"] >= KEPT
    del extra
