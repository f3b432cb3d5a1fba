"""The root set behind backrefs, retained and garbage, on real snapshots of this process:
after gc.collect() nothing is cyclic trash; cycles made afterwards are found exactly; an
object only C code holds is a root; retained sizes add up exactly to sys.getsizeof."""

import ctypes
import gc
import json
import sys

import heapdiff


class Ring:
    __slots__ = ("peer", "data")


class Holder:
    __slots__ = ("items",)


def make_rings(n):
    for _ in range(n):
        a, b = Ring(), Ring()
        a.peer, b.peer = b, a
        a.data = bytes(100)  # 100 zero bytes: a fresh object per ring
        b.data = None


def garbage(run_cli, path):
    r = run_cli("garbage", path, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_nothing_is_trash_after_a_collection_and_new_cycles_are_found_exactly(run_cli, tmp_path):
    clean, dirty = str(tmp_path / "clean.hds"), str(tmp_path / "dirty.hds")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        heapdiff.dump(clean)
        make_rings(300)
        heapdiff.dump(dirty)
    finally:
        gc.collect()
        if was_enabled:
            gc.enable()
    assert garbage(run_cli, clean) == {"objects": 0, "bytes": 0, "finalizers": 0, "in_gc_garbage": 0, "types": []}
    data = garbage(run_cli, dirty)
    rows = {t["type"]: t for t in data["types"]}
    ring = rows["test_graph_roots.Ring"]
    assert (ring["count"], ring["size"]) == (600, 600 * sys.getsizeof(Ring()))
    assert rows["builtins.bytes"]["count"] == 300
    assert rows["builtins.bytes"]["size"] == 300 * sys.getsizeof(bytes(100))
    assert data["objects"] == 900, data
    r = run_cli("summary", dirty, "--json")
    assert json.loads(r.stdout)["garbage"] == {"objects": 900, "bytes": data["bytes"]}
    assert "cyclic trash: 900 objects" in run_cli("summary", dirty).stdout


def test_an_object_only_c_code_holds_is_a_root_with_its_chain_of_one(run_cli, tmp_path):
    path = str(tmp_path / "held.hds")
    held = Holder()
    held.items = [bytes(1000) for _ in range(3)]
    expected = sys.getsizeof(held) + sys.getsizeof(held.items) + 3 * sys.getsizeof(bytes(1000))
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(held))
    address = hex(id(held))
    del held
    try:
        heapdiff.dump(path)
        r = run_cli("backrefs", path, "--address", address, "--to", "root", "--json")
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert [hop["address"] for hop in data["chain"]] == [address]
        # It retains itself, its list and the three bytes objects, exactly.
        assert data["target"]["retained"] == expected
        text = run_cli("backrefs", path, "--address", address, "--to", "root").stdout
        assert "1 reference from outside the snapshot" in text
        # No module reaches it: backrefs says so, and garbage does not count it.
        assert json.loads(run_cli("backrefs", path, "--address", address, "--json").stdout)["chain"] == []
        assert "test_graph_roots.Holder" not in {t["type"] for t in garbage(run_cli, path)["types"]}
    finally:
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(ctypes.cast(int(address, 16), ctypes.py_object).value))


HELD = []


def test_top_retained_and_retained_agree(run_cli, tmp_path):
    path = str(tmp_path / "top.hds")
    HELD[:] = [Holder()]
    HELD[0].items = [bytes(4096) for _ in range(2000)]
    items = HELD[0].items
    expected = sys.getsizeof(HELD[0]) + sys.getsizeof(items) + sum(sys.getsizeof(b) for b in items)
    del items
    try:
        heapdiff.dump(path)
        address = hex(id(HELD[0]))
        r = run_cli("retained", path, "--address", address, "--json")
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert data["bytes"] == data["object"]["retained"] == expected
        assert data["objects"] == 2002
        top = json.loads(run_cli("top", path, "--by", "retained", "--top", "200", "--json").stdout)
        row = next(r for r in top["rows"] if r["address"] == address)
        assert row["retained"] == expected
        types = json.loads(run_cli("top", path, "--group-by", "type", "--top", "1000", "--json").stdout)
        holder = next(r for r in types["rows"] if r["type"] == "test_graph_roots.Holder")
        assert (holder["count"], holder["retained"]) == (1, expected)
    finally:
        HELD.clear()
