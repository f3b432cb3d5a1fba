"""What a program driving heapdiff relies on: one version everywhere, an exit code and a
JSON "kind" per kind of failure (usage 2, bad snapshot 3, not found 4, anything else 1),
and --pick orphan / trash choosing the objects `orphans` and `garbage` count."""

import ctypes
import gc
import json
import os
import re
import subprocess
import sys

import pytest

import heapdiff

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_one_version_for_the_command_the_package_and_its_metadata(run_cli):
    declared = re.search(r"project\(heapdiff VERSION ([0-9.]+)", open(os.path.join(ROOT, "CMakeLists.txt")).read())
    r = run_cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("heapdiff %s (snapshot format 1." % declared.group(1))
    assert heapdiff.__version__ == declared.group(1)
    r = subprocess.run([sys.executable, "-m", "heapdiff", "--version"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, "heapdiff %s\n" % declared.group(1)), r.stderr
    from importlib import metadata  # 3.8+
    assert metadata.version("heapdiff") == declared.group(1)


@pytest.fixture(scope="module")
def heap(tmp_path_factory):
    out = tmp_path_factory.mktemp("errors")
    path = out / "heap.hds"
    heapdiff.dump(str(path))
    truncated = out / "truncated.hds"
    truncated.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    text = out / "text.hds"
    text.write_text("not a snapshot\n")
    return path, truncated, text


def kind_and_code(run_cli, *args):
    """The exit code, and the kind of the JSON error --json printed; one stderr line either way."""
    plain = run_cli(*args)
    assert plain.stdout == "" and len(plain.stderr.splitlines()) == 1, (plain.stdout, plain.stderr)
    r = run_cli(*args, "--json")
    assert r.returncode == plain.returncode and r.stderr == plain.stderr
    error = json.loads(r.stdout)["error"]
    assert "heapdiff: " + error["message"] == r.stderr.strip().replace(" (see heapdiff --help)", "") or \
        "heapdiff: " + error["message"] == r.stderr.strip()
    return error["kind"], r.returncode


def test_each_kind_of_failure_has_its_exit_code_and_json_kind(run_cli, heap, tmp_path):
    path, truncated, text = heap
    bad_snapshot = [("summary", tmp_path / "missing.hds"), ("summary", truncated), ("top", text),
                    ("diff", path, truncated)]
    for args in bad_snapshot:
        assert kind_and_code(run_cli, *args) == ("bad_snapshot", 3), args
    not_found = [("backrefs", path, "--type", "NoSuchType"), ("refs", path, "--address", "0x10"),
                 ("retained", path, "--type", "dict", "--pick", "100000000"),
                 ("diff", path, path, "--type", "NoSuchType"), ("backrefs", path, "--type", "dict", "--to", "Nope")]
    for args in not_found:
        assert kind_and_code(run_cli, *args) == ("not_found", 4), args
    usage = [("summary", path, "--no-such-flag"), ("diff", path, path, "--group-by", "colour"),
             ("diff", path, path, "--group-by", "traceback"),  # no tracebacks in this snapshot
             ("garbage", path, "--shapes", "-1"), ("refs", path, "--address", "nowhere"),
             ("retained", path, "--type", "dict", "--pick", "sideways"), ("backrefs", path)]
    for args in usage:
        assert kind_and_code(run_cli, *args) == ("usage", 2), args
    # Anything else (here: the picture cannot be written, after the chain was printed) is 1,
    # and the JSON error is the last line.
    r = run_cli("backrefs", path, "--type", "dict", "-o", tmp_path / "no" / "dir.dot", "--json")
    assert r.returncode == 1 and "cannot write" in r.stderr and len(r.stderr.splitlines()) == 1
    assert json.loads(r.stdout.splitlines()[-1])["error"]["kind"] == "error"


def test_a_usage_error_without_json_keeps_the_parsers_line(run_cli, heap):
    r = run_cli("summary", heap[0], "--no-such-flag")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("heapdiff: ") and r.stderr.rstrip().endswith("(see heapdiff --help)")


class Orphaned:
    pass


def leak_references(n):
    """The addresses of n Orphaned objects only a leaked reference keeps alive, as a leaking
    C extension leaves them."""
    ids = []
    for _ in range(n):
        obj = Orphaned()
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
        ids.append(id(obj))
    return ids


class Node:
    def __init__(self):
        self.me = self


def test_pick_orphan_and_trash_choose_what_orphans_and_garbage_count(run_cli, tmp_path):
    kept = [Orphaned(), Orphaned()]
    leaked_ids = leak_references(3)
    live_nodes = [Node(), Node()]
    gc.disable()
    try:
        trash = [Node() for _ in range(3)]
        trash_ids = [id(t) for t in trash]
        del trash
        path = tmp_path / "mixed.hds"
        heapdiff.dump(str(path))
    finally:
        gc.enable()
        gc.collect()
    assert len(kept) == 2 and len(live_nodes) == 2

    def addresses(type_name, pick):
        r = run_cli("refs", path, "--type", type_name, "--pick", pick, "--json")
        assert r.returncode == 0, r.stderr
        return [int(json.loads(line)["object"]["address"], 16) for line in r.stdout.splitlines()]

    # The last orphan / trash object in snapshot order, as --pick last is the last of all.
    in_order = addresses("Orphaned", "all")
    assert sorted(in_order) == sorted(leaked_ids + [id(o) for o in kept])
    assert addresses("Orphaned", "orphan") == [[a for a in in_order if a in leaked_ids][-1]]
    in_order = addresses("Node", "all")
    assert sorted(in_order) == sorted(trash_ids + [id(n) for n in live_nodes])
    assert addresses("Node", "trash") == [[a for a in in_order if a in trash_ids][-1]]
    # None of that kind: not found (4), and the line says where to look instead.
    r = run_cli("refs", path, "--type", "builtins.module", "--pick", "trash")
    assert r.returncode == 4 and "heapdiff garbage" in r.stderr, r.stderr
    r = run_cli("refs", path, "--type", "Node", "--pick", "orphan")
    assert r.returncode == 4 and "heapdiff orphans" in r.stderr, r.stderr
    for address in leaked_ids:
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(ctypes.cast(address, ctypes.py_object).value))
