"""heapdiff backrefs: what keeps an object alive, on the story it was built for.

examples/db_error_log/run_suite.py runs 16 tests; every fourth fails, and the application's
errorlog keeps sys.exc_info() in the module-level list errorlog._temp_logs. Each entry's
traceback keeps handle_request's frame, and the frame its local 'db': four app.DB objects
stay alive. The expected chain is read from the snapshot itself with the core reader (the
probe's labels are the same on 3.8-3.13), and the retained sizes are computed here by brute
force: what no root reaches any more once the object is taken out of the graph.
"""

import collections
import json
import os
import re
import struct
import subprocess
import sys
import types

import pytest

import heapdiff
from conftest import Snap
from heapdiff import _probe

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
RUN_SUITE = os.path.join(EXAMPLES, "db_error_log", "run_suite.py")
TESTS = 16  # run_suite.py: tests run; every fourth fails, so 4 DBs are logged
ERRORS = 4

CHAIN_TYPES = ["builtins.module", "builtins.dict", "builtins.list", "builtins.dict",
               "builtins.traceback", "builtins.frame", "app.DB"]


def chain_edges(i):
    return ["", "__dict__", "['_temp_logs']", "[%d]" % i, "['tb']", "tb_frame", "local 'db'"]


class Oracle:
    """The whole snapshot as a graph, for exact expectations on small heaps. Roots as the
    analyzer defines them: modules, thread frames, and objects whose reference count is more
    than the snapshot's references to them explain. gc.garbage's list keeps nothing alive."""

    def __init__(self, snap):
        self.snap = snap
        self.details = _probe.read_snapshot(snap.path, list(snap.addresses))["details"]
        self.edges = {a: [t for t, _ in d[1] if t in self.details] for a, d in self.details.items()}
        indegree = collections.Counter(t for targets in self.edges.values() for t in targets)
        self.roots = set(snap.module_roots.values())
        for frames in snap.thread_roots.values():
            self.roots.update(frames)
        self.roots.update(a for i, a in enumerate(snap.addresses) if snap.refcounts[i] > indegree[a])
        gc_dict = self.edges[snap.module_roots["gc"]][0]
        self.gc_garbage = self.labelled(gc_dict)["['garbage']"]
        self.reachable = self.reach()

    def labelled(self, address):
        return {label: t for t, label in self.details[address][1]}

    def reach(self, sources=None, avoid=None):
        seen = {r for r in (self.roots if sources is None else sources) if r != avoid}
        stack = list(seen)
        while stack:
            a = stack.pop()
            if a == self.gc_garbage:
                continue
            for t in self.edges[a]:
                if t != avoid and t not in seen:
                    seen.add(t)
                    stack.append(t)
        return seen

    def retained_set(self, address):
        return self.reachable - self.reach(avoid=address)

    def retained(self, address):
        return sum(self.snap.obj(a).size for a in self.retained_set(address))

    def distance(self, sources, target):
        """Hops of the shortest path from any source to target (BFS)."""
        frontier, seen, hops = set(sources), set(sources), 0
        while frontier:
            if target in frontier:
                return hops
            frontier = {t for a in frontier if a != self.gc_garbage for t in self.edges[a] if t not in seen}
            seen |= frontier
            hops += 1
        return None


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The suite's snapshot, and the expected chain to each logged DB, _temp_logs order."""
    out = tmp_path_factory.mktemp("suite")
    r = subprocess.run([sys.executable, RUN_SUITE, str(TESTS), str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    path = str(out / "suite.hds")
    assert r.stdout.strip() == "ran %d tests, %d errors logged, wrote %s" % (TESTS, ERRORS, path)
    snap = Snap(path)
    oracle = Oracle(snap)
    module = snap.module_roots["errorlog"]
    module_dict = oracle.labelled(module)["__dict__"]
    logs = oracle.labelled(module_dict)["['_temp_logs']"]
    chains = []
    for i in range(ERRORS):
        entry = oracle.labelled(logs)["[%d]" % i]
        tb = oracle.labelled(entry)["['tb']"]
        frame = oracle.labelled(tb)["tb_frame"]
        db = oracle.labelled(frame)["local 'db'"]
        chains.append([module, module_dict, logs, entry, tb, frame, db])
    assert [snap.obj(a).type for a in chains[0]] == CHAIN_TYPES
    assert sorted(c[-1] for c in chains) == sorted(a for i, a in enumerate(snap.addresses)
                                                   if snap.type_names[snap.type_ids[i]] == "app.DB")
    return types.SimpleNamespace(path=path, snap=snap, oracle=oracle, chains=chains)


def backrefs(run_cli, *args):
    r = run_cli("backrefs", *args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def check_chain_is_real(snap, oracle, chain):
    """Every hop of a chain is an edge of the snapshot, with that label; sizes and types match."""
    assert chain[0]["edge"] == ""
    for prev, hop in zip(chain, chain[1:]):
        assert (int(hop["address"], 16), hop["edge"]) in oracle.details[int(prev["address"], 16)][1], hop
    for hop in chain:
        obj = snap.obj(int(hop["address"], 16))
        assert (hop["type"], hop["size"]) == (obj.type, obj.size)


def test_db_chain_from_module_errorlog(run_cli, suite):
    snap, oracle, expected = suite.snap, suite.oracle, suite.chains[-1]
    data = backrefs(run_cli, suite.path, "--type", "DB")
    db = snap.obj(expected[-1])
    target = data["target"]
    assert target == {"address": hex(db.address), "type": "app.DB", "label": "DB", "size": db.size,
                      "retained": oracle.retained(db.address),
                      "name": "errorlog._temp_logs[%d]['tb'].tb_frame.f_locals['db']" % (ERRORS - 1)}
    assert data["to"] == "module"
    chain = data["chain"]
    assert [int(hop["address"], 16) for hop in chain] == expected
    assert [hop["type"] for hop in chain] == CHAIN_TYPES
    assert [hop["edge"] for hop in chain] == chain_edges(ERRORS - 1)
    assert [hop["size"] for hop in chain] == [snap.obj(a).size for a in expected]
    assert chain[0]["label"] == "module errorlog"
    assert chain[2]["label"] == "list len %d" % ERRORS
    assert chain[3]["label"] == "dict len 4"  # time, type, value, tb
    assert chain[5]["label"].startswith("frame handle_request ")
    assert re.fullmatch(r"frame handle_request .*app\.py:\d+", chain[5]["label"]), chain[5]["label"]
    assert chain[-1]["label"] == "DB"
    assert data["chains"] == [chain]
    check_chain_is_real(snap, oracle, chain)


def test_db_retained_is_the_db_its_tables_and_its_cache(suite):
    """The expectation itself, so a wrong oracle cannot pass: 1 to 3 pages of 64 KiB."""
    snap, oracle = suite.snap, suite.oracle
    for i, pages in enumerate([1, 2, 3, 1]):  # tests 3, 7, 11, 15: 1 + n % 3 pages
        kept = collections.Counter(snap.obj(a).type for a in oracle.retained_set(suite.chains[i][-1]))
        assert kept["app.DB"] == 1 and kept["builtins.bytearray"] == 1 and kept["builtins.list"] == 1
        cache = [a for a in oracle.retained_set(suite.chains[i][-1]) if snap.obj(a).type == "builtins.bytearray"]
        assert snap.obj(cache[0]).size >= pages * 64 * 1024


def test_db_chain_text(run_cli, suite):
    r = run_cli("backrefs", suite.path, "--type", "DB")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    hops = ["errorlog", "['_temp_logs']", "[3]", "['tb']", "tb_frame", "local 'db'"]
    at = 0
    for hop in hops:  # one line per hop, in order from the module down to the DB
        at = next((k for k in range(at, len(lines)) if hop in lines[k]), None)
        assert at is not None, (hop, r.stdout)
        at += 1
    assert any("tb_frame" in line and "frame handle_request" in line for line in lines), r.stdout
    assert "local 'db'" in lines[at - 1] and "DB" in lines[at - 1].split("local 'db'")[1], r.stdout


@pytest.mark.parametrize("pick, index", [("last", 3), ("first", 0), ("0", 0), ("1", 1), ("2", 2),
                                         ("-1", 3), ("-4", 0), ("largest", 2)])
def test_pick(run_cli, suite, pick, index):
    """DBs in snapshot order are the order they were logged in; the largest (by retained size,
    since every DB instance has the same size) is the 3-page one, test 11, at list[2]."""
    data = backrefs(run_cli, suite.path, "--type", "DB", "--pick", pick)
    assert [int(hop["address"], 16) for hop in data["chain"]] == suite.chains[index]
    assert [hop["edge"] for hop in data["chain"]] == chain_edges(index)


def test_qualified_type_and_address(run_cli, suite):
    by_short = backrefs(run_cli, suite.path, "--type", "DB")
    assert backrefs(run_cli, suite.path, "--type", "app.DB") == by_short
    db = suite.chains[1][-1]
    data = backrefs(run_cli, suite.path, "--address", hex(db))
    assert data["target"]["address"] == hex(db)
    assert [int(hop["address"], 16) for hop in data["chain"]] == suite.chains[1]
    assert backrefs(run_cli, suite.path, "--address", "0x%X" % db)["target"]["address"] == hex(db)


def test_to_root(run_cli, suite):
    snap, oracle = suite.snap, suite.oracle
    data = backrefs(run_cli, suite.path, "--type", "DB", "--to", "root")
    assert data["to"] == "root"
    chain = data["chain"]
    check_chain_is_real(snap, oracle, chain)
    assert int(chain[0]["address"], 16) in oracle.roots
    assert int(chain[-1]["address"], 16) == suite.chains[-1][-1]
    assert len(chain) - 1 == oracle.distance(oracle.roots, suite.chains[-1][-1])


@pytest.mark.parametrize("to", ["dict", "builtins.dict"])
def test_to_type(run_cli, suite, to):
    """The nearest dict is the error log's entry: dict['tb'] -> traceback -> frame -> DB."""
    data = backrefs(run_cli, suite.path, "--type", "DB", "--to", to)
    chain = data["chain"]
    assert [int(hop["address"], 16) for hop in chain] == suite.chains[-1][3:]
    assert [hop["type"] for hop in chain] == CHAIN_TYPES[3:]
    assert [hop["edge"] for hop in chain] == ["", "['tb']", "tb_frame", "local 'db'"]


def test_max_depth(run_cli, suite):
    """The DB is 6 hops below its module: a shorter limit finds no chain (exit 0, empty)."""
    data = backrefs(run_cli, suite.path, "--type", "DB", "--max-depth", "3")
    assert data["chain"] == [] and data["chains"] == []
    assert data["target"]["address"] == hex(suite.chains[-1][-1])
    data = backrefs(run_cli, suite.path, "--type", "DB", "--max-depth", "8")
    assert [int(hop["address"], 16) for hop in data["chain"]] == suite.chains[-1]


class Shared:
    pass


def test_two_modules_give_two_chains(run_cli, tmp_path):
    shared = Shared()
    names = ["hd_backrefs_mod_a", "hd_backrefs_mod_b"]
    for name in names:
        module = types.ModuleType(name)
        module.shared = shared
        sys.modules[name] = module
    try:
        path = heapdiff.dump(str(tmp_path / "two.hds"))
    finally:
        for name in names:
            del sys.modules[name]
    data = backrefs(run_cli, path, "--address", hex(id(shared)), "--paths", "2")
    chains = data["chains"]
    assert len(chains) == 2
    assert data["chain"] == chains[0]
    assert sorted(c[0]["label"] for c in chains) == ["module " + n for n in names]
    for chain in chains:
        assert [hop["type"] for hop in chain] == ["builtins.module", "builtins.dict", "test_cli_backrefs.Shared"]
        assert [hop["edge"] for hop in chain] == ["", "__dict__", "['shared']"]
        assert chain[-1]["address"] == hex(id(shared))
    assert len(backrefs(run_cli, path, "--address", hex(id(shared)))["chains"]) == 1


def test_object_no_root_reaches(run_cli, tmp_path):
    """Cyclic trash has no chain: exit 0, an empty chain, and nothing retained."""
    import gc

    gc.disable()
    try:
        trash = Shared()
        trash.me = trash
        address = id(trash)
        del trash
        path = heapdiff.dump(str(tmp_path / "trash.hds"))
    finally:
        gc.enable()
    data = backrefs(run_cli, path, "--address", hex(address), "--to", "root")
    assert data["chain"] == [] and data["chains"] == []
    assert data["target"]["retained"] == 0


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", head
    return struct.unpack(">II", head[16:24])


def test_drawings(run_cli, suite, tmp_path):
    png, svg, dot, deep, chain = (str(tmp_path / n) for n in ("db.png", "db.svg", "db.dot", "deep.dot", "chain.dot"))
    for out in (png, svg, dot):
        r = run_cli("backrefs", suite.path, "--type", "DB", "-o", out)
        assert r.returncode == 0, r.stderr
    width, height = png_size(png)
    assert 0 < width <= 4000 and 0 < height <= 4000
    assert "DB" in open(svg).read()
    text = open(dot).read()  # 3 levels of referrers by default, like objgraph.show_backrefs
    assert text.lstrip().startswith(("digraph", "strict digraph"))
    for label in ("DB", "tb_frame", "frame handle_request", "traceback"):
        assert label in text, label
    r = run_cli("backrefs", suite.path, "--type", "DB", "--max-depth", "6", "-o", deep)
    assert r.returncode == 0, r.stderr
    text = open(deep).read()
    for label in ("module errorlog", "_temp_logs", "tb_frame", "frame handle_request", "DB"):
        assert label in text, label
    r = run_cli("backrefs", suite.path, "--type", "DB", "--chain-only", "-o", chain)
    assert r.returncode == 0, r.stderr
    text = open(chain).read()
    assert text.count("->") == len(CHAIN_TYPES) - 1, text  # just the chain: 7 objects, 6 edges
    for label in ("module errorlog", "__dict__", "_temp_logs", "[3]", "tb_frame", "frame handle_request", "DB"):
        assert label in text, label


HOLDERS = []


def test_drawing_folds_many_referrers(run_cli, tmp_path):
    """An object held by 3,000 lists: --too-many folds the rest into one "N more" node, and
    the node budget keeps even --too-many 100000 a readable picture (at most 4000 px)."""
    target = Shared()
    HOLDERS[:] = [[target] for _ in range(3000)]
    try:
        path = heapdiff.dump(str(tmp_path / "fan.hds"))
    finally:
        HOLDERS.clear()
    dot = str(tmp_path / "fan.dot")
    r = run_cli("backrefs", path, "--address", hex(id(target)), "--too-many", "5", "-o", dot)
    assert r.returncode == 0, r.stderr
    text = open(dot).read()
    assert re.search(r"\b\d{4} more\b", text), text  # 3,000 lists (and the frame) minus 5
    png = str(tmp_path / "fan.png")
    r = run_cli("backrefs", path, "--address", hex(id(target)), "--too-many", "100000", "-o", png)
    assert r.returncode == 0, r.stderr
    width, height = png_size(png)
    assert 0 < width <= 4000 and 0 < height <= 4000


def bad(run_cli, *args, code):
    """Exit code `code` (any non-zero one for None), nothing on stdout, one line on stderr."""
    r = run_cli(*args)
    assert r.returncode == code if code else r.returncode != 0, (args, r.returncode, r.stdout, r.stderr)
    assert r.stdout == "", args
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("heapdiff: "), (args, r.stderr)
    return lines[0]


# name: (arguments, exit code: 4 not found, 2 usage)
BAD = {
    "unknown type": (["--type", "NoSuchTypeAtAll"], 4),
    "address not in the snapshot": (["--address", "0x10"], 4),
    "not an address": (["--address", "not-an-address"], 2),
    "pick past the end": (["--type", "DB", "--pick", "4"], 4),
    "pick before the start": (["--type", "DB", "--pick", "-5"], 4),
    "pick nonsense": (["--type", "DB", "--pick", "biggest"], 2),
    "neither type nor address": ([], 2),
    "unknown --to type": (["--type", "DB", "--to", "NoSuchTypeAtAll"], 4),
    "bad drawing extension": (["--type", "DB", "-o", "{tmp}/db.jpg"], 2),
}


def test_usage_error(run_cli, suite):
    """A command line that cannot mean anything exits 2."""
    bad(run_cli, "backrefs", suite.path, "--type", "DB", "--chain-only", code=2)  # no drawing to make
    bad(run_cli, "backrefs", suite.path, "--type", "DB", "--paths", "many", code=2)
    bad(run_cli, "backrefs", suite.path, "--type", "DB", "--address", "0x10", code=2)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(run_cli, suite, tmp_path, case):
    args, code = BAD[case]
    bad(run_cli, "backrefs", suite.path, *[a.replace("{tmp}", str(tmp_path)) for a in args], code=code)
    assert list(tmp_path.iterdir()) == []  # no drawing left behind


def test_unknown_type_suggests_near_matches(run_cli, suite, tmp_path):
    assert "DB" in bad(run_cli, "backrefs", suite.path, "--type", "Db", code=4)
    bad(run_cli, "backrefs", tmp_path / "missing.hds", "--type", "DB", code=3)
