"""Retained sizes (the dominator tree): heapdiff retained and heapdiff top.

examples/linked_list.py builds a list of N __slots__ nodes, each with its own float payload,
held only by the module global HEAD: the head retains every node and payload, node k the
N - k nodes from k on. The expected sizes come from the snapshot's own object sizes (walked
here along the '.next' edges) and from sys.getsizeof in the example, which must agree.
examples/db_error_log/ gives a smaller heap where the retained set of a DB is computed here
by brute force.
"""

import collections
import json
import os
import re
import subprocess
import sys
import types

import pytest

from conftest import Snap
from heapdiff import _probe

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
LINKED_LIST = os.path.join(EXAMPLES, "linked_list.py")
RUN_SUITE = os.path.join(EXAMPLES, "db_error_log", "run_suite.py")
N = 100_000


def run_example(*args):
    r = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def run_linked_list(n, out):
    stdout = run_example(LINKED_LIST, n, out)
    m = re.fullmatch(r"(\d+) nodes, head at (0x[0-9a-f]+), (\d+) bytes per node with its payload: "
                     r"the head retains (\d+) bytes; wrote (.*)\n", stdout)
    assert m, stdout
    assert int(m[1]) == n and int(m[4]) == n * int(m[3])
    return types.SimpleNamespace(path=m[5], head=int(m[2], 16), per_node=int(m[3]))


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """The list's snapshot; nodes[k] = (address of node k, its size, its payload's size)."""
    result = run_linked_list(N, tmp_path_factory.mktemp("linked"))
    snap = Snap(result.path)
    details = _probe.read_snapshot(snap.path, [a for i, a in enumerate(snap.addresses)
                                               if snap.type_names[snap.type_ids[i]] == "__main__.Node"])["details"]
    assert len(details) == N
    nodes, address = [], result.head
    while address in details:
        edges = {label: t for t, label in details[address][1]}
        nodes.append((address, snap.obj(address).size, snap.obj(edges[".value"]).size))
        assert snap.obj(edges[".value"]).type == "builtins.float"
        address = edges.get(".next")
    assert len(nodes) == N
    result.snap, result.nodes = snap, nodes
    return result


def cli_json(run_cli, *args):
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def test_sizes_agree_with_getsizeof(linked):
    """The example's own sys.getsizeof and the snapshot's sizes are the same numbers."""
    assert {size + payload for _, size, payload in linked.nodes} == {linked.per_node}


def test_head_retains_the_whole_list(run_cli, linked):
    expected = sum(size + payload for _, size, payload in linked.nodes)
    assert expected == N * linked.per_node
    data = cli_json(run_cli, "retained", linked.path, "--address", hex(linked.head))
    assert data["object"] == {"address": hex(linked.head), "type": "__main__.Node", "label": "Node",
                              "size": linked.nodes[0][1], "name": "__main__.HEAD", "retained": expected}
    assert (data["objects"], data["bytes"]) == (2 * N, expected)
    assert sorted((t["type"], t["count"], t["size"]) for t in data["types"]) == sorted([
        ("__main__.Node", N, sum(s for _, s, _ in linked.nodes)),
        ("builtins.float", N, sum(p for _, _, p in linked.nodes))])
    assert [t["type"] for t in data["types"]] == ["__main__.Node", "builtins.float"]  # by size: 48 B > 24 B


@pytest.mark.parametrize("k", [1, N // 2, N - 1])
def test_node_k_retains_the_rest_of_the_list(run_cli, linked, k):
    address = linked.nodes[k][0]
    expected = sum(size + payload for _, size, payload in linked.nodes[k:])
    data = cli_json(run_cli, "retained", linked.path, "--address", hex(address))
    assert (data["object"]["retained"], data["objects"], data["bytes"]) == (expected, 2 * (N - k), expected)
    refs = cli_json(run_cli, "refs", linked.path, "--address", hex(address))
    assert refs["object"]["retained"] == expected
    assert [(r["edge"], int(r["address"], 16)) for r in refs["refs"]] == [
        (label, t) for t, label in linked.snap.obj(address).edges]
    assert {".value", ".next"} <= {r["edge"] for r in refs["refs"]}


def test_backrefs_walks_the_list_without_recursing(run_cli, linked):
    """The tail is N hops below the module: the chain is found, and shown as every chain is
    (docs/JSON.md, "An object"): its first 10 objects and its last 91, in order, the nodes
    between counted in the first hop after the gap."""
    tail = linked.nodes[-1][0]
    data = cli_json(run_cli, "backrefs", linked.path, "--address", hex(tail), "--max-depth", str(N + 10))
    chain = data["chain"]
    assert [hop["edge"] for hop in chain[:3]] == ["", "__dict__", "['HEAD']"]
    assert chain[0]["label"] == "module __main__"
    nodes = [a for a, _, _ in linked.nodes]
    assert len(chain) == 101
    (gap,) = [k for k, hop in enumerate(chain) if "left_out" in hop]
    assert gap == 10 and chain[gap]["left_out"] == len(nodes) + 2 - 101
    assert [int(hop["address"], 16) for hop in chain[2:gap]] == nodes[:gap - 2]
    assert [int(hop["address"], 16) for hop in chain[gap:]] == nodes[-91:]
    assert {hop["edge"] for hop in chain[3:]} == {".next"}
    assert data["target"]["retained"] == linked.per_node


def test_top_by_retained_starts_with_the_list(run_cli, linked):
    data = cli_json(run_cli, "top", linked.path, "--by", "retained", "--top", "5")
    assert (data["by"], data["group_by"]) == ("retained", "object")
    rows = data["rows"]
    assert len(rows) == 5
    assert [r["retained"] for r in rows] == sorted((r["retained"] for r in rows), reverse=True)
    first = int(rows[0]["address"], 16)
    # The head itself, or what holds it: __main__'s dict (or the module, when it dominates it).
    holders = {first} | {t for t, _ in linked.snap.obj(first).edges}
    holders |= {t for h in list(holders) if linked.snap.has(h) for t, _ in linked.snap.obj(h).edges}
    assert linked.head in holders, rows[0]
    assert rows[0]["retained"] >= N * linked.per_node
    head_row = [r for r in rows if r["address"] == hex(linked.head)]
    assert head_row == [{"address": hex(linked.head), "type": "__main__.Node", "label": "Node",
                         "size": linked.nodes[0][1], "name": "__main__.HEAD", "retained": N * linked.per_node}]
    for r in rows:
        obj = linked.snap.obj(int(r["address"], 16))
        assert (r["type"], r["size"]) == (obj.type, obj.size)


def test_top_by_size_and_count(run_cli, linked):
    snap = linked.snap
    data = cli_json(run_cli, "top", linked.path, "--by", "size", "--top", "3")
    assert data["by"] == "size"
    assert [r["size"] for r in data["rows"]] == sorted(snap.sizes, reverse=True)[:3]
    counts = snap.type_counts()
    data = cli_json(run_cli, "top", linked.path, "--by", "count", "--group-by", "type", "--top", "2")
    assert (data["by"], data["group_by"]) == ("count", "type")
    assert [(r["type"], r["count"]) for r in data["rows"]] == counts.most_common(2)
    assert {"builtins.float", "__main__.Node"} == {r["type"] for r in data["rows"]}


def test_top_types_by_retained(run_cli, linked):
    """A type's retained size counts only its instances no other instance of it dominates:
    for Node that is the head alone."""
    data = cli_json(run_cli, "top", linked.path, "--by", "retained", "--group-by", "type", "--top", "1000")
    rows = {r["type"]: r for r in data["rows"]}
    node = rows["__main__.Node"]
    assert node == {"type": "__main__.Node", "count": N, "size": sum(s for _, s, _ in linked.nodes),
                    "retained": N * linked.per_node}
    assert rows["builtins.float"]["retained"] >= sum(p for _, _, p in linked.nodes)
    assert [r["retained"] for r in data["rows"]] == sorted((r["retained"] for r in data["rows"]), reverse=True)


def test_a_long_list(run_cli, tmp_path):
    """500,000 nodes: a recursive dominator tree (Boost 1.74's) crashes on 400,000."""
    n = 500_000
    result = run_linked_list(n, tmp_path)
    data = cli_json(run_cli, "retained", result.path, "--address", hex(result.head))
    assert (data["objects"], data["bytes"]) == (2 * n, n * result.per_node)


class Oracle:
    """What no root reaches once an object is taken out of the graph: its retained set, by
    brute force (small heaps only). Roots: modules, thread frames, and objects whose reference
    count is more than the snapshot's references to them explain."""

    def __init__(self, snap):
        self.snap = snap
        details = _probe.read_snapshot(snap.path, list(snap.addresses))["details"]
        self.edges = {a: [t for t, _ in d[1] if t in details] for a, d in details.items()}
        indegree = collections.Counter(t for targets in self.edges.values() for t in targets)
        self.roots = set(snap.module_roots.values())
        for frames in snap.thread_roots.values():
            self.roots.update(frames)
        self.roots.update(a for i, a in enumerate(snap.addresses) if snap.refcounts[i] > indegree[a])
        self.reachable = self.reach()

    def reach(self, avoid=None):
        seen = {r for r in self.roots if r != avoid}
        stack = list(seen)
        while stack:
            for t in self.edges[stack.pop()]:
                if t != avoid and t not in seen:
                    seen.add(t)
                    stack.append(t)
        return seen

    def retained_set(self, address):
        return self.reachable - self.reach(avoid=address)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    run_example(RUN_SUITE, 16, out)
    snap = Snap(out / "suite.hds")
    return types.SimpleNamespace(snap=snap, oracle=Oracle(snap))


def dbs_in_snapshot_order(snap):
    return [a for i, a in enumerate(snap.addresses) if snap.type_names[snap.type_ids[i]] == "app.DB"]


@pytest.mark.parametrize("pick", ["first", "1", "last"])
def test_retained_by_a_db(run_cli, suite, pick):
    snap, oracle = suite.snap, suite.oracle
    db = dbs_in_snapshot_order(snap)[{"first": 0, "1": 1, "last": -1}[pick]]
    kept = oracle.retained_set(db)
    data = cli_json(run_cli, "retained", snap.path, "--type", "DB", "--pick", pick)
    assert data["object"]["address"] == hex(db)
    assert (data["objects"], data["bytes"], data["object"]["retained"]) == (
        len(kept), sum(snap.obj(a).size for a in kept), sum(snap.obj(a).size for a in kept))
    per_type = collections.defaultdict(lambda: [0, 0])
    for a in kept:
        per_type[snap.obj(a).type][0] += 1
        per_type[snap.obj(a).type][1] += snap.obj(a).size
    assert {t["type"]: [t["count"], t["size"]] for t in data["types"]} == per_type
    assert [t["size"] for t in data["types"]] == sorted((t["size"] for t in data["types"]), reverse=True)
    # the DB, its tables (3 dicts: tables, users, user 7), the roles list, its name and its cache
    assert per_type["app.DB"][0] == per_type["builtins.bytearray"][0] == per_type["builtins.list"][0] == 1
    assert per_type["builtins.dict"][0] == (3 if sys.version_info >= (3, 11) else 4)  # + __dict__ before 3.11
    r = run_cli("retained", snap.path, "--type", "DB", "--pick", pick, "--top", "2")
    assert r.returncode == 0, r.stderr
    assert "builtins.bytearray" in r.stdout and "app.DB" not in r.stdout.split("\n", 1)[1]
    assert "%d more types" % (len(per_type) - 2) in r.stdout


def test_retained_of_the_error_log(run_cli, suite):
    """errorlog's module keeps every logged DB: its retained size is exact too."""
    snap, oracle = suite.snap, suite.oracle
    module = snap.module_roots["errorlog"]
    kept = oracle.retained_set(module)
    assert set(dbs_in_snapshot_order(snap)) <= kept
    data = cli_json(run_cli, "retained", snap.path, "--address", hex(module))
    assert (data["objects"], data["bytes"]) == (len(kept), sum(snap.obj(a).size for a in kept))
    assert data["object"]["label"] == "module errorlog"


def test_retained_text_and_drawing(run_cli, suite, tmp_path):
    r = run_cli("retained", suite.snap.path, "--type", "DB")
    assert r.returncode == 0, r.stderr
    assert "builtins.bytearray" in r.stdout and "app.DB" in r.stdout
    dot, png = str(tmp_path / "kept.dot"), str(tmp_path / "kept.png")
    for out in (dot, png):
        r = run_cli("retained", suite.snap.path, "--type", "DB", "-o", out)
        assert r.returncode == 0, r.stderr
    text = open(dot).read()
    assert text.lstrip().startswith(("digraph", "strict digraph")) and "DB" in text and "bytearray" in text
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, code", [
    (["retained", "--type", "NoSuchTypeAtAll"], 4), (["retained", "--address", "0x10"], 4),  # not found
    (["retained", "--type", "DB", "--pick", "4"], 4),
    (["retained"], 2), (["retained", "--type", "DB", "--address", "0x10"], 2),  # usage
    (["retained", "--type", "DB", "-o", "{tmp}/kept.bmp"], 2)])
def test_retained_bad_input(run_cli, suite, tmp_path, args, code):
    r = run_cli(args[0], suite.snap.path, *[a.replace("{tmp}", str(tmp_path)) for a in args[1:]])
    assert r.returncode == code and r.stdout == "", (args, r.returncode, r.stdout, r.stderr)
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("heapdiff: "), r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["--by", "weight"], ["--group-by", "module"], ["--top", "lots"]])
def test_top_bad_input(run_cli, suite, args):
    r = run_cli("top", suite.snap.path, *args)
    assert r.returncode != 0 and r.stdout == "", (args, r.returncode, r.stdout, r.stderr)
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("heapdiff: "), r.stderr
