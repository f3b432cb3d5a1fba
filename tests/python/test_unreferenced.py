"""Objects nothing refers to: a C extension's leaked references, found by the allocator
scan (3.12+) without tracemalloc. The extension (cext/leaky_tracer.c) is the story heapdiff
serves: a line tracer that leaks one int per line event, and ujson 5.1.0's mistake of
keeping a reference to every non-str dict key. It is compiled here with gcc against the
running interpreter's headers (no gcc: the tests fail, they do not skip). Each scenario runs
in a fresh interpreter, so that nothing else this test session did is in the snapshots.
"""

import json
import os
import subprocess
import sys
import sysconfig
import textwrap

import pytest

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cext", "leaky_tracer.c")
SCANS = sys.version_info >= (3, 12)


@pytest.fixture(scope="module")
def ext_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("leaky_tracer")
    target = os.path.join(str(out), "leaky_tracer" + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = ["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-I", sysconfig.get_paths()["include"], SOURCE, "-o", target]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, "%s\n%s" % (" ".join(cmd), r.stderr)
    return str(out)


def run_child(ext_dir, tmp_path, body, env=None):
    """Runs `body` in a fresh interpreter with the extension importable; returns its stdout."""
    script = tmp_path / "child.py"
    script.write_text("import sys\nsys.path.insert(0, %r)\nimport heapdiff, leaky_tracer\n" % ext_dir + textwrap.dedent(body))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                       cwd=str(tmp_path), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def orphans(run_cli, *args):
    r = run_cli("orphans", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


TRACER_AND_KEYS = """
def work(n):
    total = 0
    for i in range(n):
        total += i
    return total

work(10)
heapdiff.dump("a.hds")
leaky_tracer.start()
work(3000)
leaky_tracer.stop()
leaked = leaky_tracer.leaked()
d = {i: None for i in range(700000, 705000)}
leaky_tracer.leak_keys(d)
del d
heapdiff.dump("b.hds")
print(leaked)
"""


def test_orphans_finds_every_leaked_int_without_tracemalloc(run_cli, ext_dir, tmp_path):
    leaked = int(run_child(ext_dir, tmp_path, TRACER_AND_KEYS))
    assert leaked > 5000  # two line events per loop turn, each after the first leaks one int
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    data = orphans(run_cli, a, b)
    rows = {t["type"]: t for t in data["types"]}
    if not SCANS:
        # Before 3.12 pymalloc's arenas cannot be reached: said, never implied to be none.
        assert not data["unreferenced_searched"]
        assert data["unreferenced_search"].startswith("not searched: CPython before 3.12")
        assert "builtins.int" not in rows or rows["builtins.int"]["count_diff"] < 100
        text = run_cli("orphans", a, b).stdout
        assert "unreferenced objects not searched: CPython before 3.12" in text
        return
    assert data["unreferenced_searched"], data["unreferenced_search"]
    row = rows["builtins.int"]
    # Exactly: every int the tracer leaked, and the 5,000 keys; all of them found only by
    # the allocator (nothing refers to them), and it is the only growth.
    assert row["count_diff"] == leaked + 5000, row
    assert row["unreferenced"] >= leaked + 5000
    assert data["types"][0]["type"] == "builtins.int"
    # The values are the clue: the tracer's line numbers (+100000), most leaked first.
    values = [v["value"] for v in row["values"]]
    assert all(v.isdigit() for v in values), values
    assert 100000 < int(values[0]) < 101000 and row["values"][0]["count"] >= 2999, row["values"]
    # diff --group-by type counts them too.
    diff = json.loads(run_cli("diff", a, b, "--json").stdout)
    ints = next(g for g in diff["groups"] if g["key"] == "builtins.int")
    assert ints["count_diff"] >= leaked + 5000
    # The text names the values and the search.
    text = run_cli("orphans", a, b).stdout
    assert "values: 1000" in text and "searched pymalloc's blocks" in text, text
    summary = run_cli("summary", b).stdout
    assert "nothing refers to" in summary and "heapdiff orphans" in summary, summary


CHURN = """
import threading
def churn(n):
    keep = []
    for i in range(n):
        keep.append((i * 1.5, i + 10**6, "s%d" % i, (i, i + 1), b"x" * (i % 300)))
    del keep

churn(1000)
heapdiff.dump("a.hds")
churn(50000)              # freed: on pymalloc's free lists, or the interpreter's object free lists
heapdiff.dump("b.hds")
stop = False
def allocate():           # a thread that allocates while the next dumps run
    while not stop:
        churn(200)
t = threading.Thread(target=allocate)
t.start()
for i in range(10):
    heapdiff.dump("c%d.hds" % i)
stop = True
t.join()
print("ok")
"""


def test_freed_and_free_listed_objects_never_appear(run_cli, ext_dir, tmp_path):
    assert run_child(ext_dir, tmp_path, CHURN).strip() == "ok"
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    data = orphans(run_cli, a, b)
    assert data["unreferenced_searched"] == SCANS
    grown = {t["type"]: t["count_diff"] for t in data["types"]}
    # 250,000 objects freed between the snapshots: none comes back as an orphan.
    for name in ("builtins.float", "builtins.int", "builtins.str", "builtins.tuple", "builtins.bytes"):
        assert grown.get(name, 0) < 20, data["types"][:5]
    # The dumps taken while a thread allocated are whole snapshots, and read back.
    for i in range(10):
        c = orphans(run_cli, str(tmp_path / ("c%d.hds" % i)))
        assert c["objects"] < 5000, c["types"][:5]


def test_an_allocator_that_is_not_pymalloc_is_said(run_cli, ext_dir, tmp_path):
    env = dict(os.environ, PYTHONMALLOC="malloc")
    run_child(ext_dir, tmp_path, 'heapdiff.dump("m.hds")\n', env=env)
    data = orphans(run_cli, str(tmp_path / "m.hds"))
    assert not data["unreferenced_searched"]
    if SCANS:
        assert "not plain pymalloc" in data["unreferenced_search"], data["unreferenced_search"]
    summary = run_cli("summary", str(tmp_path / "m.hds")).stdout
    assert "unreferenced objects not searched" in summary, summary


BUFFERS = """
import tracemalloc
tracemalloc.start(5)
def churn():
    for i in range(200):
        leaky_tracer.leak_buffer(3000, False)
churn()
heapdiff.dump("a.hds")
kept = []
for i in range(40):
    leaky_tracer.leak_buffer(4000)      # THE LEAK
    kept.append(bytearray(2000))        # SHORT-LIVED
    churn()
heapdiff.dump("b.hds")
del kept
churn()
heapdiff.dump("c.hds")
"""


def test_three_snapshot_trace_diff_finds_exactly_the_leaked_blocks(run_cli, ext_dir, tmp_path):
    run_child(ext_dir, tmp_path, BUFFERS)
    script = str(tmp_path / "child.py")
    leak_line = next(i for i, l in enumerate(open(script), 1) if l.rstrip().endswith("# THE LEAK"))
    short_line = next(i for i, l in enumerate(open(script), 1) if l.rstrip().endswith("# SHORT-LIVED"))
    snaps = [str(tmp_path / n) for n in ("a.hds", "b.hds", "c.hds")]
    r = run_cli("diff", *snaps, "--group-by", "lineno", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)

    def at(line):
        return [g for g in data["groups"] if g["traceback"] and g["traceback"][-1]["lineno"] == line
                and os.path.samefile(g["traceback"][-1]["filename"], script)]

    if not SCANS:
        # Before 3.12 tracemalloc's table has no addresses: only walked objects are
        # followed, and the answer says so rather than "no survivors" alone.
        assert any("no list of traced blocks" in n for n in data["notes"]), data["notes"]
        return
    rows = at(leak_line)
    # Exactly the 40 leaked buffers, born between A and B and alive in C ...
    assert len(rows) == 1 and (rows[0]["count"], rows[0]["size"]) == (40, 40 * 4000), data["groups"][:5]
    # ... and not the bytearrays freed before C, nor the buffers freed at once.
    assert not at(short_line), at(short_line)
    assert data["churn"]["count"] >= 40, data["churn"]
    assert data["groups"][0] == rows[0]


BYTEARRAYS = """
import sys
heapdiff.dump("a.hds")
kept = [bytearray(100 + i % 50) for i in range(3000)]
heapdiff.dump("b.hds")
print(sum(sys.getsizeof(b) for b in kept))
"""


def test_a_bytearrays_buffer_is_part_of_it(run_cli, ext_dir, tmp_path):
    # 3.15 keeps a bytearray's buffer in a bytes object that tp_traverse does not visit and
    # __sizeof__ already counts: it is neither a second object nor one nothing refers to.
    size = int(run_child(ext_dir, tmp_path, BYTEARRAYS))
    a, b = str(tmp_path / "a.hds"), str(tmp_path / "b.hds")
    diff = json.loads(run_cli("diff", a, b, "--json").stdout)
    groups = {g["key"]: g for g in diff["groups"]}
    assert (groups["builtins.bytearray"]["count_diff"], groups["builtins.bytearray"]["size_diff"]) == (3000, size)
    assert "builtins.bytes" not in groups or groups["builtins.bytes"]["count_diff"] < 20, groups["builtins.bytes"]
    grown = {t["type"]: t["count_diff"] for t in orphans(run_cli, a, b)["types"]}
    assert grown.get("builtins.bytes", 0) < 20, grown
