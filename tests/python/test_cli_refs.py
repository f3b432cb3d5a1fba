"""heapdiff refs: the forward view of one object (like objgraph.show_refs), checked edge by
edge against the snapshot that examples/db_error_log/run_suite.py writes."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import Snap

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
RUN_SUITE = os.path.join(EXAMPLES, "db_error_log", "run_suite.py")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    r = subprocess.run([sys.executable, RUN_SUITE, "16", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return Snap(out / "suite.hds")


def labelled(snap, address):
    return {label: t for t, label in snap.obj(address).edges}


def logged(snap, i):
    """(entry dict, traceback, frame, DB) of errorlog._temp_logs[i]."""
    logs = labelled(snap, labelled(snap, snap.module_roots["errorlog"])["__dict__"])["['_temp_logs']"]
    entry = labelled(snap, logs)["[%d]" % i]
    tb = labelled(snap, entry)["['tb']"]
    frame = labelled(snap, tb)["tb_frame"]
    return entry, tb, frame, labelled(snap, frame)["local 'db'"]


def refs(run_cli, snap, *args):
    r = run_cli("refs", snap.path, *args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def check_refs(snap, data, address):
    """The referents are exactly the snapshot's edges of the object, in order."""
    obj = snap.obj(address)
    assert {k: data["object"][k] for k in ("address", "type", "size")} == {
        "address": hex(address), "type": obj.type, "size": obj.size}
    assert data["object"]["retained"] >= obj.size
    assert [(r["edge"], int(r["address"], 16)) for r in data["refs"]] == [(l, t) for t, l in obj.edges]
    for r in data["refs"]:
        target = snap.obj(int(r["address"], 16))
        assert (r["type"], r["size"]) == (target.type, target.size)
        assert r["label"]


def test_refs_of_the_db(run_cli, suite):
    db = logged(suite, 3)[3]
    data = refs(run_cli, suite, "--type", "DB")  # --pick last: the DB of _temp_logs[3]
    check_refs(suite, data, db)
    assert data["object"]["label"] == "DB"
    by_edge = {r["edge"]: r for r in data["refs"]}
    assert by_edge["__class__"]["type"] == "builtins.type"
    # The attributes: in the instance on 3.11+ (.name), in its __dict__ before.
    if sys.version_info >= (3, 11):
        assert by_edge[".cache"]["type"] == "builtins.bytearray"
        assert by_edge[".name"]["label"] == "str test:/users/404"
    else:
        assert by_edge["__dict__"]["type"] == "builtins.dict"


def test_refs_of_the_traceback_and_the_frame(run_cli, suite):
    entry, tb, frame, db = logged(suite, 1)
    data = refs(run_cli, suite, "--address", hex(tb))
    check_refs(suite, data, tb)
    assert {r["edge"]: int(r["address"], 16) for r in data["refs"]}["tb_frame"] == frame
    data = refs(run_cli, suite, "--address", hex(frame))
    check_refs(suite, data, frame)
    by_edge = {r["edge"]: r for r in data["refs"]}
    assert int(by_edge["local 'db'"]["address"], 16) == db
    assert by_edge["local 'db'"]["label"] == "DB"
    assert by_edge["f_code"]["type"] == "builtins.code"
    data = refs(run_cli, suite, "--address", hex(entry))
    check_refs(suite, data, entry)
    assert [r["edge"] for r in data["refs"] if r["edge"].startswith("[")] == [
        "['time']", "['type']", "['value']", "['tb']"]


def test_refs_of_the_module(run_cli, suite):
    module = suite.module_roots["errorlog"]
    data = refs(run_cli, suite, "--address", hex(module))
    check_refs(suite, data, module)
    assert data["object"]["label"] == "module errorlog"
    assert [r["edge"] for r in data["refs"]] == ["__dict__"]


def test_refs_text_and_drawing(run_cli, suite, tmp_path):
    r = run_cli("refs", suite.path, "--type", "DB")
    assert r.returncode == 0, r.stderr
    assert re.search(r"\.cache|__dict__", r.stdout) and "__class__" in r.stdout
    svg, dot = str(tmp_path / "refs.svg"), str(tmp_path / "refs.dot")
    for out in (svg, dot):
        r = run_cli("refs", suite.path, "--type", "DB", "-o", out)
        assert r.returncode == 0, r.stderr
    assert "DB" in open(svg).read()
    text = open(dot).read()
    assert text.lstrip().startswith(("digraph", "strict digraph")) and "__class__" in text


@pytest.mark.parametrize("args, code", [
    (["--type", "NoSuchTypeAtAll"], 4), (["--address", "0x10"], 4), (["--type", "DB", "--pick", "9"], 4),  # not found
    ([], 2), (["--type", "DB", "--address", "0x10"], 2), (["--type", "DB", "-o", "{tmp}/refs.gif"], 2)])  # usage
def test_refs_bad_input(run_cli, suite, tmp_path, args, code):
    r = run_cli("refs", suite.path, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.returncode == code and r.stdout == "", (args, r.returncode, r.stdout, r.stderr)
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("heapdiff: "), r.stderr
    assert list(tmp_path.iterdir()) == []
