"""The interactive API (heapdiff.show_growth, by_type, why_alive, ...) on real snapshots of
this process, checked against what the heapdiff command says on the same snapshot, and the
command's several-object options it relies on (--pick all, --address repeated, --chain)."""

import gc
import inspect
import io
import json
import os
import re
import sys
import types

import pytest

import heapdiff
from conftest import Snap

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
sys.path.insert(0, os.path.join(EXAMPLES, "db_error_log"))
import app  # noqa: E402
import errorlog  # noqa: E402


class LeakyThing:
    pass


@pytest.fixture
def things():
    held = []
    yield held
    del held[:]


@pytest.fixture
def logged_dbs():
    """Four requests that fail: errorlog keeps each one's DB alive through its traceback."""
    errorlog._clear()
    for _ in range(4):
        assert app.handle_request("/users/404", pages=1)[0] == 500
    dbs = [entry["tb"].tb_frame.f_locals["db"] for entry in errorlog._temp_logs]
    yield dbs
    del dbs[:]
    errorlog._clear()


def cli_json(run_cli, *args):
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# --- counting ----------------------------------------------------------------------------


def test_show_growth_baseline_then_exact_growth(things):
    peaks = {}
    first = io.StringIO()
    heapdiff.show_growth(limit=None, peak_stats=peaks, file=first)
    assert "LeakyThing" not in first.getvalue()
    assert re.search(r"^str +\d+ +\+\d+$", first.getvalue(), re.M)  # the baseline: every type, from zero

    things.extend(LeakyThing() for _ in range(7))
    out = io.StringIO()
    heapdiff.show_growth(limit=None, peak_stats=peaks, file=out)
    assert re.search(r"^LeakyThing +7 +\+7$", out.getvalue(), re.M), out.getvalue()

    things.extend(LeakyThing() for _ in range(3))
    assert ("LeakyThing", 10, 3) in heapdiff.growth(limit=None, peak_stats=peaks)
    del things[:5]  # below the peak: no growth
    assert "LeakyThing" not in [row[0] for row in heapdiff.growth(limit=None, peak_stats=peaks)]


def test_count_and_typestats_are_the_summary_counts(things, run_cli):
    things.extend(LeakyThing() for _ in range(5))
    assert heapdiff.count("LeakyThing") == 5
    assert heapdiff.count(__name__ + ".LeakyThing") == 5
    assert heapdiff.count("NoSuchTypeAtAll") == 0
    assert heapdiff.typestats()["LeakyThing"] == 5
    assert heapdiff.typestats(shortnames=False)[__name__ + ".LeakyThing"] == 5
    assert heapdiff.typestats(filter=lambda o: isinstance(o, LeakyThing)) == {"LeakyThing": 5}

    snap = heapdiff.snapshot(label="counts")
    summary = snap.summary()
    cli = cli_json(run_cli, "summary", snap.path)
    assert [tuple(t) for t in summary["types"]] == [(t["type"], t["count"], t["size"]) for t in cli["types"]]
    assert summary["label"] == "counts"
    # Modules do not come and go between two dumps: typestats counts what summary counts.
    modules = sum(t["count"] for t in cli["types"] if t["type"] == "builtins.module")
    assert heapdiff.typestats()["module"] == modules == heapdiff.count("module")
    out = io.StringIO()
    heapdiff.show_most_common_types(limit=3, file=out)
    assert len(out.getvalue().splitlines()) == 3 and out.getvalue().startswith("str ")


def test_by_type_is_exactly_the_live_instances(things, run_cli):
    things.extend(LeakyThing() for _ in range(6))
    found = heapdiff.by_type("LeakyThing")
    assert sorted(map(id, found)) == sorted(map(id, things)) and all(type(o) is LeakyThing for o in found)
    assert sorted(map(id, heapdiff.by_type(__name__ + ".LeakyThing"))) == sorted(map(id, things))
    assert heapdiff.by_type("NoSuchTypeAtAll") == []
    # In snapshot order: [-1] is what `heapdiff backrefs --type LeakyThing` picks.
    snap = heapdiff.snapshot()
    rows = [json.loads(line) for line in run_cli("refs", snap.path, "--type", "LeakyThing", "--pick", "all",
                                                 "--json").stdout.split("\n") if line]
    assert [int(r["object"]["address"], 16) for r in rows] == [id(o) for o in heapdiff.by_type("LeakyThing")]
    last = cli_json(run_cli, "backrefs", snap.path, "--type", "LeakyThing")["target"]["address"]
    assert int(last, 16) == id(heapdiff.by_type("LeakyThing")[-1])
    # Objects the collector does not track are found too.
    marker = bytearray(b"heapdiff api marker")
    things.append(marker)
    assert any(o is marker for o in heapdiff.by_type("bytearray"))


# --- chains ------------------------------------------------------------------------------


@pytest.fixture
def holder_module():
    mod = types.ModuleType("heapdiff_api_holder")
    mod.held = [LeakyThing()]
    sys.modules[mod.__name__] = mod
    yield mod
    del sys.modules[mod.__name__]


def test_find_backref_chain_is_the_cli_chain(holder_module, run_cli):
    obj = holder_module.held[0]
    chain = heapdiff.find_backref_chain(obj)
    assert [id(o) for o in chain] == [id(holder_module), id(holder_module.__dict__), id(holder_module.held), id(obj)]
    snap = heapdiff.snapshot()
    data = cli_json(run_cli, "backrefs", snap.path, "--address", hex(id(obj)))
    assert [int(h["address"], 16) for h in data["chain"]] == [id(o) for o in chain]
    # A type as the predicate: the chain from the nearest list.
    assert [id(o) for o in heapdiff.find_backref_chain(obj, list)] == [id(holder_module.held), id(obj)]
    # Any other predicate: objgraph's search in this process, the same chain.
    python = heapdiff.find_backref_chain(obj, lambda o: o is holder_module)
    assert [id(o) for o in python] == [id(o) for o in chain]
    lonely = LeakyThing()
    assert heapdiff.find_backref_chain(lonely) == [lonely]  # no module reaches it: [obj], like objgraph


def test_db_chain_has_objgraphs_shape(logged_dbs):
    db = logged_dbs[-1]
    chain = heapdiff.find_backref_chain(db, inspect.ismodule)
    entry = errorlog._temp_logs[-1]
    assert [id(o) for o in chain] == [id(errorlog), id(errorlog.__dict__), id(errorlog._temp_logs), id(entry),
                                      id(entry["tb"]), id(entry["tb"].tb_frame), id(db)]
    # objgraph.find_backref_chain(db, inspect.ismodule) walks the same types.
    shape = ["module", "dict", "list", "dict", "traceback", "frame", "DB"]
    assert [type(o).__name__ for o in chain] == shape


def test_why_alive_prints_the_labelled_chain_and_draws_it(logged_dbs, tmp_path):
    db = logged_dbs[-1]
    out = io.StringIO()
    answer = heapdiff.why_alive(db, file=out)
    text = out.getvalue()
    assert text == answer.text
    assert re.search(r"^ +module errorlog +0x", text, re.M)
    assert "-> ['_temp_logs']" in text and "-> ['tb']" in text and "-> local 'db'" in text
    assert [h.edge for h in answer.chain] == ["", "__dict__", "['_temp_logs']", "[3]", "['tb']", "tb_frame",
                                              "local 'db'"]
    assert answer.chain.objects[0] is errorlog and answer.chain.objects[-1] is db
    assert answer.retained >= 64 * 1024
    assert "WhyAlive DB: 1 chain" in repr(answer)
    png = tmp_path / "chain.png"
    answer.show(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    answer.show(str(tmp_path / "chain.dot"))
    assert "errorlog" in (tmp_path / "chain.dot").read_text()
    two = heapdiff.why_alive(db, paths=2, file=io.StringIO())
    assert len(two.chains) >= 1 and two.chains[0].objects == answer.chain.objects


def test_drawings(logged_dbs, tmp_path):
    heapdiff.show_backrefs(logged_dbs[:2], filename=str(tmp_path / "backrefs.dot"))
    text = (tmp_path / "backrefs.dot").read_text()
    assert text.count("local 'db'") >= 2 and "['tb']" in text
    heapdiff.show_refs(logged_dbs[-1], filename=str(tmp_path / "refs.png"))
    assert (tmp_path / "refs.png").read_bytes()[:4] == b"\x89PNG"
    heapdiff.show_chain(heapdiff.find_backref_chain(logged_dbs[0]), heapdiff.find_backref_chain(logged_dbs[1]),
                        filename=str(tmp_path / "chains.svg"))
    svg = (tmp_path / "chains.svg").read_text()
    assert "errorlog" in svg and "tb_frame" in svg


# --- snapshots and diff ------------------------------------------------------------------


def test_diff_rows_are_the_cli_rows(things, run_cli):
    a = heapdiff.snapshot()
    things.extend(LeakyThing() for _ in range(9))
    b = heapdiff.snapshot()
    rows = a.diff(b)
    mine = [r for r in rows if r.key == __name__ + ".LeakyThing"]
    assert len(mine) == 1 and (mine[0].count_diff, mine[0].new, mine[0].freed) == (9, 9, 0)
    cli = cli_json(run_cli, "diff", a.path, b.path)
    assert [tuple(r) for r in rows] == [(g["key"], g["count"], g["size"], g["count_diff"], g["size_diff"], g["new"],
                                         g["freed"]) for g in cli["groups"]]
    assert heapdiff.diff(a.path, b.path, group_by="module", min_size=1)[0].key
    path = a.path
    del a
    gc.collect()
    assert not os.path.exists(path)  # a temporary snapshot goes with its Snapshot


# --- errors ------------------------------------------------------------------------------


def test_errors_are_clean(monkeypatch, tmp_path, things):
    things.append(LeakyThing())
    with pytest.raises(heapdiff.AnalyzerError, match=r"^heapdiff: .*jpg") as caught:
        heapdiff.show_refs(things[0], filename=str(tmp_path / "x.jpg"))
    assert caught.value.kind == "usage"
    with pytest.raises(heapdiff.AnalyzerError, match="group") as caught:
        heapdiff.diff(heapdiff.snapshot(), heapdiff.snapshot(), group_by="colour")
    assert caught.value.kind == "usage"
    assert heapdiff.by_type("NoSuchTypeAnywhere") == []  # "not_found", by its kind, not its text
    monkeypatch.setenv("HEAPDIFF_CLI", str(tmp_path / "missing"))
    with pytest.raises(heapdiff.AnalyzerError, match="HEAPDIFF_CLI") as caught:
        heapdiff.count("LeakyThing")
    assert caught.value.kind == "error"
    monkeypatch.delenv("HEAPDIFF_CLI")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(heapdiff.AnalyzerError, match="not found"):
        heapdiff.count("LeakyThing")


# --- the command's several-object options --------------------------------------------------


def test_cli_several_objects_and_given_chains(logged_dbs, run_cli, tmp_path):
    snap = heapdiff.snapshot()
    s = Snap(snap.path)
    dbs = [s.obj(id(db)) for db in logged_dbs]
    rows = [json.loads(line) for line in run_cli("refs", snap.path, "--type", "DB", "--pick", "all",
                                                 "--json").stdout.split("\n") if line]
    assert sorted(int(r["object"]["address"], 16) for r in rows) == sorted(d.address for d in dbs)
    two = [hex(id(db)) for db in logged_dbs[:2]]
    r = run_cli("backrefs", snap.path, "--address", two[0], "--address", two[1], "--json", "-o", tmp_path / "two.dot")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["target"]["address"] for line in r.stdout.splitlines()] == two
    chain = [h["address"] for h in cli_json(run_cli, "backrefs", snap.path, "--address", two[0])["chain"]]
    given = cli_json(run_cli, "backrefs", snap.path, "--chain", ",".join(chain))
    assert [h["address"] for h in given["chains"][0]] == chain
    bad = run_cli("backrefs", snap.path, "--chain", ",".join([chain[0], chain[2]]))
    assert bad.returncode == 4 and bad.stderr.startswith("heapdiff: --chain: the module") and bad.stdout == ""
    assert run_cli("backrefs", snap.path, "--chain", chain[0], "--type", "DB").returncode == 2
    assert run_cli("retained", snap.path, "--address", two[0], "--address", two[1]).returncode == 2
    one = run_cli("retained", snap.path, "--type", "DB", "--pick", "all")
    assert one.returncode == 2 and one.stderr.startswith("heapdiff: --pick all")


def test_memory_accounts_for_this_process_and_names_what_grew(tmp_path):
    # memory(): RSS split into categories that add up to it, read from this process now.
    now = heapdiff.memory()
    account = now["snapshots"][0]
    assert account["available"], account
    assert sum(c["bytes"] for c in account["categories"]) == account["rss"]
    by_name = {c["name"]: c["bytes"] for c in account["categories"]}
    assert by_name["code"] > 1 << 20  # the interpreter and its libraries, at least
    assert by_name["other"] <= account["rss"] * 5 // 100

    # Snapshot.memory(later): the growth of an anonymous mmap, named by the findings.
    import mmap

    before = heapdiff.snapshot(str(tmp_path / "before.hds"))
    block = mmap.mmap(-1, 64 << 20)
    block.write(b"x" * (64 << 20))
    after = heapdiff.snapshot(str(tmp_path / "after.hds"))
    report = before.memory(after)
    growth = {g["name"]: g["bytes"] for g in report["growth"]}
    assert abs(growth["mmaps"] - (64 << 20)) <= (64 << 20) // 10, growth
    assert report["findings"][0]["kind"] == "mmaps_grew", report["findings"]
    block.close()

    out = io.StringIO()
    heapdiff.show_memory(before, after, file=out)
    assert "where the memory went" in out.getvalue()
    assert "anonymous mappings outside the allocators grew by" in out.getvalue()
