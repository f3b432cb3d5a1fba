"""heapdiff suspects on a hand-made heap with two leaks held two ways: two suspects, with
the right counts, holders and order, and the churn in between is not one of them; and
references leaked by C code, which only an orphan suspect can show."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("suspects")
    a, b = out / "a.hds", out / "b.hds"
    subprocess.run([sys.executable, os.path.join(HERE, "two_leaks.py"), str(a), str(b)], check=True, timeout=120)
    return a, b


def test_two_leaks_are_two_suspects_in_order(pair, run_cli):
    a, b = pair
    result = run_cli("suspects", a, b, "--json", "--top", "0")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    top = data["suspects"][:2]
    assert [(s["kind"], s["type"], s["count"], s["holder"]["name"]) for s in top] == [
        ("held", "__main__.Blob", 1000, "__main__.Registry.items"),
        ("held", "__main__.Record", 3000, "__main__.CACHE"),
    ]
    blobs, records = top
    assert blobs["retained"] > 1000 * 5000 > records["retained"] > 3000 * 200
    assert {"type": "builtins.bytearray", "count": 1000} == {k: blobs["holds"][0][k] for k in ("type", "count")}
    # Each held type names one of its objects, as the object rows do (the plugin follows it).
    assert blobs["holds"][0]["example"]["type"] == "builtins.bytearray"
    assert blobs["holds"][0]["example"]["name"].startswith("__main__.Registry.items[")
    few = json.loads(run_cli("suspects", a, b, "--json", "--holds", "1").stdout)["suspects"]
    every = json.loads(run_cli("suspects", a, b, "--json", "--holds", "0").stdout)["suspects"]
    assert len(few[1]["holds"]) == 1 and len(every[1]["holds"]) >= len(records["holds"])
    # The cache's int keys fold into the Record suspect instead of being one of their own.
    assert "builtins.int" in {h["type"] for h in records["holds"]}
    assert not any(s["type"] == "builtins.int" and s["count"] > 100 for s in data["suspects"])
    # The churn was freed: no other suspect holds Records or their lists. (Before 3.12 a few
    # dozen born ints are roots of their own, held from outside the snapshot.)
    assert not any(s["type"] in ("__main__.Record", "builtins.list") and s["count"] > 1 for s in data["suspects"][2:])
    # (The last scratch list is still bound to a global: at most its 3 Records remain.)
    assert sum(h["count"] for s in data["suspects"][2:] for h in s["holds"] if h["type"] == "__main__.Record") <= 3
    # The chain ends at the representative, and its labels are the way to it.
    assert [h["edge"] for h in records["chain"]] [:3] == ["", "__dict__", "['CACHE']"]
    assert records["chain"][-1]["address"] == records["representative"]["address"]
    assert records["next"][0] == "heapdiff backrefs %s --address %s" % (b, records["representative"]["address"])


def test_text_and_picture(pair, run_cli, tmp_path):
    a, b = pair
    picture = tmp_path / "top.dot"
    result = run_cli("suspects", a, b, "-o", picture)
    assert result.returncode == 0, result.stderr
    assert "#1  1,000 new __main__.Blob" in result.stdout
    assert "reachable as __main__.Registry.items" in result.stdout
    assert "Blob" in picture.read_text()


def test_one_snapshot_finds_where_memory_piles_up(pair, run_cli):
    _, b = pair
    data = json.loads(run_cli("suspects", b, "--json").stdout)
    assert [(s["kind"], s["holder"]["name"]) for s in data["suspects"]] == [
        ("big", "__main__.Registry.items"), ("big", "__main__.CACHE")]
    assert all(s["retained"] >= data["heap_bytes"] // 10 for s in data["suspects"])


LEAK_HANDLES = """
import ctypes, sys
import heapdiff

class Handle:
    # What a C extension hands out and, with a reference-counting bug, never releases.
    def __init__(self):
        self.buffer = bytearray(2000)

heapdiff.dump(sys.argv[1])
for _ in range(300):
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(Handle()))  # the reference nobody releases
heapdiff.dump(sys.argv[2])
"""


def test_references_leaked_by_c_code_are_an_orphan_suspect(run_cli, tmp_path):
    # A fresh process: in the test runner's own heap, a new bytearray may reuse the address
    # of one in A, and identity across snapshots is address and type.
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    subprocess.run([sys.executable, "-c", LEAK_HANDLES, a, b], check=True, timeout=120)
    data = json.loads(run_cli("suspects", a, b, "--json").stdout)
    top = data["suspects"][0]
    assert (top["kind"], top["type"], top["count"], top["holder"]) == ("orphan", "__main__.Handle", 300, None)
    assert top["retained"] >= 300 * 2000
    assert {"type": "builtins.bytearray", "count": 300} == {k: top["holds"][0][k] for k in ("type", "count")}
    assert [h["address"] for h in top["chain"]] == [top["representative"]["address"]]
    assert top["next"] == ["heapdiff refs %s --address %s" % (b, top["representative"]["address"]),
                           "heapdiff orphans %s %s" % (a, b)]
    assert not any(s["kind"] == "orphan" for s in data["suspects"][1:] if s["count"] > 2)
    text = run_cli("suspects", a, b).stdout
    assert "#1  300 new orphaned __main__.Handle" in text and "C code holds them" in text
