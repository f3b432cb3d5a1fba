"""Names and cycles on real snapshots.

Every object row carries the name a Python developer would type to reach it: evaluated in
the process that was dumped, that name is the object itself. Cyclic trash has no chain
from a root; backrefs shows the cycle that holds it instead, on a pure-Python replica of
six 1.10.0's reraise (the exception's traceback keeps reraise's frame, whose local
'value' is the exception), and garbage shows the cycle's shape per type."""

import json
import re
import os
import subprocess
import sys
import textwrap

import heapdiff

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


class Holder:
    def __init__(self):
        self.payload = bytearray(100)


REGISTRY = {"db": [Holder(), Holder()], (1, "a"): Holder()}


def name_of(run_cli, path, obj):
    result = run_cli("refs", path, "--address", hex(id(obj)), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["object"]["name"]


def evaluate(name):
    """The object a dotted name reaches, starting from the module it begins with."""
    for cut in range(len(name), 0, -1):
        module = name[:cut]
        if module in sys.modules and (cut == len(name) or name[cut] in ".["):
            return eval("_m" + name[cut:], {"_m": sys.modules[module]})
    raise AssertionError("no module starts " + name)


def test_each_name_reaches_its_object(tmp_path, run_cli):
    path = tmp_path / "names.hds"
    heapdiff.dump(str(path))
    me = __name__
    objects = {
        me + ".REGISTRY": REGISTRY,
        me + ".REGISTRY['db']": REGISTRY["db"],
        me + ".REGISTRY['db'][1]": REGISTRY["db"][1],
        me + ".REGISTRY[(1, 'a')]": REGISTRY[(1, "a")],
        me + ".Holder.__init__": Holder.__init__,
    }
    for expected, obj in objects.items():
        name = name_of(run_cli, path, obj)
        assert name == expected
        assert evaluate(name) is obj
    # An instance attribute: its path ends in .payload, and it evaluates to the object.
    name = name_of(run_cli, path, REGISTRY["db"][0].payload)
    assert name == me + ".REGISTRY['db'][0].payload"
    assert evaluate(name) is REGISTRY["db"][0].payload


def test_rows_are_named_on_the_readme_example(tmp_path, run_cli):
    subprocess.run([sys.executable, os.path.join(EXAMPLES, "db_error_log", "run_suite.py"), "16", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    snap = tmp_path / "suite.hds"
    top = run_cli("top", snap, "--json", "--top", "10")
    assert top.returncode == 0, top.stderr
    names = {row["name"] for row in json.loads(top.stdout)["rows"]}
    assert {"errorlog", "errorlog._temp_logs"} <= names
    assert any(re.fullmatch(r"errorlog\._temp_logs\[[0-3]\]\['tb'\]", name or "") for name in names)
    db = run_cli("backrefs", snap, "--type", "app.DB", "--pick", "all", "--json")
    assert db.returncode == 0, db.stderr
    targets = [json.loads(line)["target"]["name"] for line in db.stdout.splitlines()]
    assert sorted(targets) == ["errorlog._temp_logs[%d]['tb'].tb_frame.f_locals['db']" % i for i in range(4)]
    text = run_cli("top", snap, "--top", "3").stdout
    assert "errorlog._temp_logs\n" in text


SIX_REPLICA = textwrap.dedent("""
    import gc, sys
    import heapdiff

    def reraise(tp, value, tb=None):  # six 1.10.0, Python 3 branch
        if value is None:
            value = tp()
        if value.__traceback__ is not tb:
            raise value.with_traceback(tb)
        raise value

    def handle(n):
        try:
            reraise(ValueError, ValueError("bad input %d" % n))
        except ValueError:
            pass

    gc.disable()
    for n in range(3):
        handle(n)
    heapdiff.dump(sys.argv[1])
""")


def six_snapshot(tmp_path):
    script = tmp_path / "six_replica.py"
    script.write_text(SIX_REPLICA)
    snap = tmp_path / "six.hds"
    subprocess.run([sys.executable, str(script), str(snap)], check=True, timeout=120)
    return snap


def hops(chain):
    return [(hop["type"], hop["edge"]) for hop in chain]


CYCLE = [("builtins.ValueError", ""), ("builtins.traceback", "__traceback__"), ("builtins.traceback", "tb_next"),
         ("builtins.frame", "tb_frame"), ("builtins.ValueError", "local 'value'")]


def test_backrefs_shows_the_cycle_that_holds_trash(tmp_path, run_cli):
    snap = six_snapshot(tmp_path)
    result = run_cli("backrefs", snap, "--type", "ValueError", "--pick", "all", "--json")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3
    for answer in answers:
        assert answer["chains"] == []
        assert hops(answer["cycle"]) == CYCLE
        assert answer["cycle"][0]["address"] == answer["cycle"][-1]["address"] == answer["target"]["address"]
        assert answer["cycle"][3]["label"].startswith("frame reraise ")
        assert hops(answer["cycle_to_target"]) == [("builtins.ValueError", "")]
    text = run_cli("backrefs", snap, "--type", "ValueError").stdout
    assert "held by a cycle of 4 references through itself:" in text
    assert "-> local 'value'" in text


def test_backrefs_shows_the_way_down_from_the_cycle(tmp_path, run_cli):
    snap = six_snapshot(tmp_path)
    # The message str is on no cycle: the exception's args tuple holds it.
    result = run_cli("garbage", snap, "--json")
    assert result.returncode == 0, result.stderr
    strs = run_cli("backrefs", snap, "--type", "str", "--pick", "all", "--json")
    trash = [json.loads(line) for line in strs.stdout.splitlines()]
    held = [a for a in trash if a["cycle"] and a["target"]["label"].startswith("str bad input")]
    assert len(held) == 3
    for answer in held:
        assert hops(answer["cycle"]) == CYCLE
        assert hops(answer["cycle_to_target"]) == [("builtins.ValueError", ""), ("builtins.tuple", "args"),
                                                   ("builtins.str", "[0]")]


def test_garbage_shows_cycle_shapes(tmp_path, run_cli):
    snap = six_snapshot(tmp_path)
    result = run_cli("garbage", snap, "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["type"]: row for row in json.loads(result.stdout)["types"]}
    errors = rows["builtins.ValueError"]
    assert errors["count"] == 3 and errors["sampled"] == 3
    assert errors["cycles"] == [{
        "shape": "ValueError -> __traceback__ -> traceback -> tb_next -> traceback -> tb_frame -> frame reraise "
                 "-> local 'value' -> ValueError",
        "count": 3}]
    text = run_cli("garbage", snap).stdout
    assert "3 of 3 sampled: ValueError -> __traceback__ ->" in text
    assert run_cli("garbage", snap, "--shapes", "0", "--json").stdout.count('"shape"') == 0


def test_drawings_carry_names_and_cycles(tmp_path, run_cli):
    # What the text and JSON say, the pictures say too: the target's name, and for trash
    # the cycle's labelled edges (--chain-only: the chains and cycles, not the referrers).
    subprocess.run([sys.executable, os.path.join(EXAMPLES, "db_error_log", "run_suite.py"), "16", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    named = tmp_path / "db.dot"
    r = run_cli("backrefs", tmp_path / "suite.hds", "--type", "app.DB", "-o", named)
    assert r.returncode == 0, r.stderr
    # Drawn names are cut to the node's width, with an ellipsis.
    assert re.search(r"label=\"DB\\nerrorlog\._temp_logs\[[0-3]\]\['tb'\]\.tb_frame\.f_locals\[", named.read_text())
    cycle = tmp_path / "cycle.dot"
    r = run_cli("backrefs", six_snapshot(tmp_path), "--type", "ValueError", "--chain-only", "-o", cycle)
    assert r.returncode == 0, r.stderr
    dot = cycle.read_text()
    for edge in ("__traceback__", "tb_next", "tb_frame", "local 'value'"):
        assert edge in dot, edge
    assert "reraise" in dot
