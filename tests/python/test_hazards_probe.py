"""Hostile heaps: the probe must never crash its host, lie about a name or a size, or
leave its temporary files behind. Each case runs in a child process where a crash
would be a crash of the host, and checks what the snapshot says."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref

import pytest

import heapdiff
from conftest import Snap, qualified_name

SIZE_APPROXIMATE = 8


def run_child(code, timeout=120, **env):
    """Runs `code` in a fresh interpreter; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **env))


def test_struct_whose_init_never_ran_is_sized_without_calling_its_sizeof(tmp_path):
    # Struct.__sizeof__ walks s_codes, which only __init__ fills: calling it on this
    # object dereferences NULL (3.8-3.13). The probe must not call it.
    path = tmp_path / "struct.hds"
    child = run_child("""
        import struct, sys, heapdiff
        class Packer(struct.Struct):
            def __init__(self):
                pass  # forgot super().__init__(fmt)
        keep = [Packer.__new__(Packer, "i") for _ in range(3)]
        heapdiff.dump(sys.argv[-1] if False else %r)
        print(id(keep[0]))
    """ % str(path))
    assert child.returncode == 0, child.stderr
    snap = Snap(path)
    obj = snap.obj(int(child.stdout.split()[-1]))
    assert snap.type_names[snap.type_ids[snap.index[obj.address]]].endswith("Packer")
    assert obj.flags & SIZE_APPROXIMATE
    assert obj.size > 0


def test_untrusted_c_sizeof_is_never_called(snap):
    # Decimal, itertools and pickle define C __sizeof__ methods the probe does not vouch
    # for: their objects get the basic size and the approximate flag, never a call.
    import decimal
    import itertools
    import pickle
    import io

    objects = [decimal.Decimal("1.5"), itertools.permutations(range(4)), pickle.Pickler(io.BytesIO())]
    s = snap()
    for o in objects:
        entry = s[o]
        assert entry.flags & SIZE_APPROXIMATE, type(o)
        assert entry.size >= type(o).__basicsize__


def test_negative_int_subclass_with_python_sizeof_gets_a_real_size(snap, run_cli, tmp_path):
    class Weird(int):
        def __sizeof__(self):
            return 10 ** 30  # never run, and not to be believed anyway

    values = [Weird(-1284), Weird(-(2 ** 200)), Weird(0), Weird(7)]
    s = snap()
    for v in values:
        entry = s[v]
        assert entry.flags & SIZE_APPROXIMATE
        expected = int.__sizeof__(v) + (sys.getsizeof(v) - v.__sizeof__() if False else 0)
        # int's own formula (the Python __sizeof__ is not run) plus at most a GC header.
        assert int.__sizeof__(v) <= entry.size <= int.__sizeof__(v) + 32, (v, entry.size, expected)
    top = run_cli("top", s.path, "--by", "size", "--top", "1", "--json")
    assert top.returncode == 0, top.stderr
    assert "PiB" not in run_cli("top", s.path, "--by", "size", "--top", "3").stdout
    total = sum(s.sizes)
    assert max(s.sizes) < total  # no object larger than everything else together


def test_long_qualified_and_module_names_are_whole(snap, run_cli):
    module = "pkg." + "m" * 300
    qualname = "Outer" + "Q" * 400
    cls = type(qualname, (), {"__module__": module})
    cls.__qualname__ = qualname
    obj = cls()
    s = snap()
    name = s.type_names[s.type_ids[s.index[id(obj)]]]
    assert name == module + "." + qualname
    assert qualified_name(cls) == name
    # Found by its whole name on the command line.
    found = run_cli("backrefs", s.path, "--type", name, "--max-depth", "1")
    assert found.returncode == 0, found.stderr


def test_a_name_past_a_megabyte_is_cut_visibly(snap):
    cls = type("Big", (), {})
    cls.__qualname__ = "N" * ((1 << 20) + 100)
    obj = cls()
    s = snap()
    name = s.type_names[s.type_ids[s.index[id(obj)]]]
    assert name.endswith("...[%d more characters]" % (len(cls.__qualname__) - (1 << 20)))


def test_stale_temporary_file_of_a_killed_dump_is_removed_by_the_next_dump(tmp_path):
    # A child with a large heap is SIGKILLed while its dump is being written: its
    # temporary file stays. The next dump in that directory removes it.
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, heapdiff
        heap = [{"k": [i, str(i)]} for i in range(1500000)]
        print("ready", flush=True)
        while True:
            heapdiff.dump(sys.argv[1] + "/big.hds")
    """), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        temps = []
        while not temps and time.monotonic() < deadline:
            temps = [n for n in os.listdir(tmp_path) if ".tmp-" in n and os.path.getsize(tmp_path / n) > 0]
            time.sleep(0.002)
        assert temps, "the child never started writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = [n for n in os.listdir(tmp_path) if ".tmp-%d-" % child.pid in n]
    assert left, "the killed dump left no temporary file: nothing to test"
    heapdiff.dump(str(tmp_path / "next.hds"))
    assert [n for n in os.listdir(tmp_path) if ".tmp-" in n] == []


def test_temporary_files_that_may_not_be_stale_are_kept(tmp_path):
    header = open(_any_snapshot(tmp_path), "rb").read(64)
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        keep = {
            # a live pid: maybe a writer
            "a.hds.tmp-%d-0000abcd" % alive.pid: header,
            # a dead pid, but not a snapshot: someone else's file
            "b.hds.tmp-%d-0000abcd" % dead.pid: b"not a snapshot at all, keep me",
            # not our name pattern
            "c.hds.tmp-%d-xyz" % dead.pid: header,
            "d.tmp": header,
        }
        for name, data in keep.items():
            (tmp_path / name).write_bytes(data)
        stale = tmp_path / ("e.hds.tmp-%d-0123abcd" % dead.pid)
        stale.write_bytes(header)
        # A dead pid whose file is still locked: a writer in another pid namespace.
        locked = tmp_path / ("f.hds.tmp-%d-0123abce" % dead.pid)
        locked.write_bytes(header)
        holder = subprocess.Popen(["flock", str(locked), "sleep", "60"])
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _is_locked(locked):
                time.sleep(0.01)
            assert _is_locked(locked)
            heapdiff.dump(str(tmp_path / "next.hds"))
            assert locked.exists()
        finally:
            holder.kill()
            holder.wait()
        assert not stale.exists()
        for name in keep:
            assert (tmp_path / name).exists(), name
    finally:
        alive.kill()
        alive.wait()


def _any_snapshot(tmp_path):
    path = str(tmp_path / "sample.hds")
    heapdiff.dump(path)
    return path


def _is_locked(path):
    import fcntl

    with open(path, "rb") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        return False


# --- dumps from inside a collection -------------------------------------------------------

FINALIZER_CHILD = """
    import gc, sys, weakref, heapdiff
    path, mode = sys.argv[1], sys.argv[2]
    ids = {}

    class Payload:
        pass

    class Node:
        def __init__(self):
            self.partner = None
            self.payload = Payload()
        def __del__(self):
            if mode == "del" and not ids.get("done"):
                ids["done"] = True
                ids["self"], ids["payload"], ids["partner"] = id(self), id(self.payload), id(self.partner)
                heapdiff.dump(path)

    def make_cycle():
        a, b = Node(), Node()
        a.partner, b.partner = b, a
        return a

    gc.collect()
    gc.disable()
    if mode == "del":
        make_cycle()
    elif mode == "weakref":
        # The callback's frame cannot reach the cycle being collected (its weakref is
        # cleared first): the snapshot can only say that it was taken during a collection.
        a = make_cycle()
        def on_dead(ref):
            heapdiff.dump(path)
        ref = weakref.ref(a.partner, on_dead)
        del a
    elif mode == "callback":
        def cb(phase, info):
            if phase == "start" and not ids.get("done"):
                ids["done"] = True
                heapdiff.dump(path)
        gc.callbacks.append(cb)
        a = make_cycle()  # at "start" nothing has moved yet: all of it is there
        ids["self"], ids["payload"], ids["partner"] = id(a), id(a.payload), id(a.partner)
        del a
    gc.collect()
    print(ids.get("self", 0), ids.get("payload", 0), ids.get("partner", 0))
"""


@pytest.mark.parametrize("mode", ["del", "weakref", "callback"])
def test_dump_inside_a_collection_includes_the_objects_being_collected(tmp_path, run_cli, mode):
    path = tmp_path / ("in-gc-%s.hds" % mode)
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(FINALIZER_CHILD), str(path), mode],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    snap = Snap(path)
    assert snap.facts.get("probe.during_collection") == 1
    ids = [int(x) for x in child.stdout.split()]
    found = [i for i in ids if i]
    for address in found:  # the finalised object, its payload and its partner are there
        assert snap.has(address), (mode, hex(address))
    if mode != "weakref":
        assert len(found) == 3
        names = {snap.type_names[snap.type_ids[snap.index[a]]] for a in found}
        assert names == {"__main__.Node", "__main__.Payload"}
    if mode == "del":  # found in the collector's own list, through the running __del__
        assert snap.facts.get("probe.collecting_objects", 0) >= 3
    summary = run_cli("summary", path)
    assert summary.returncode == 0, summary.stderr
    assert "during a garbage collection" in summary.stdout


def test_a_dump_outside_a_collection_is_not_marked(snap):
    s = snap()
    assert "probe.during_collection" not in s.facts


def test_trust_sizeof_makes_an_extension_type_exact(tmp_path):
    # In a child: the trust lasts for the process.
    path = tmp_path / "trusted.hds"
    child = run_child("""
        import decimal, sys, heapdiff
        class Money(decimal.Decimal):
            pass
        d, m = decimal.Decimal("3.14159265358979323846264338327950288419716939937510"), Money("2.5")
        heapdiff.trust_sizeof(decimal.Decimal)
        heapdiff.dump(%r)
        print(id(d), sys.getsizeof(d), id(m), sys.getsizeof(m))
    """ % str(path))
    assert child.returncode == 0, child.stderr
    d, d_size, m, m_size = map(int, child.stdout.split())
    snap = Snap(path)
    assert (snap.obj(d).size, snap.obj(m).size) == (d_size, m_size)
    assert not snap.obj(d).flags & SIZE_APPROXIMATE and not snap.obj(m).flags & SIZE_APPROXIMATE


def test_trust_sizeof_refuses_what_it_cannot_trust():
    class InPython:
        def __sizeof__(self):
            return 1

    with pytest.raises(ValueError, match="written in Python"):
        heapdiff.trust_sizeof(InPython)
    with pytest.raises(TypeError):
        heapdiff.trust_sizeof(InPython())
