"""Every object gc tracks is in the snapshot with its type, once; the probe's own
objects are not."""

import collections
import gc

import heapdiff
from conftest import GC_TRACKED, Snap, in_gc_lists, qualified_name


class Leaf:
    def __init__(self, n):
        self.n = n
        self.payload = [n] * 3


def test_gc_tracked_counts_match_gc_get_objects(tmp_path):
    keep = [Leaf(i) for i in range(2000)]
    path = str(tmp_path / "a.hds")
    gc.disable()
    try:
        before = gc.get_objects()
        heapdiff.dump(path)
    finally:
        gc.enable()
    expected = collections.Counter(qualified_name(type(o)) for o in before)
    expected["builtins.list"] += 1  # `before` itself is alive during the dump
    got = Snap(path).type_counts(listed_only=True)
    assert got[qualified_name(Leaf)] == 2000
    diff = {t: got[t] - expected[t] for t in set(got) | set(expected) if got[t] != expected[t]}
    assert diff == {}
    del keep


def test_every_listed_object_is_there_with_its_type(tmp_path):
    path = str(tmp_path / "b.hds")
    alive = gc.get_objects()
    heapdiff.dump(path)
    s = Snap(path)
    missing = [o for o in alive if not s.has(id(o))]
    assert missing == []
    wrong = [o for o in alive if s[o].type != qualified_name(type(o))]
    assert wrong == []
    assert s.facts["probe.gc_objects"] == sum(1 for f in s.flags if in_gc_lists(f))


def test_untracked_referents_are_walked_once(snap):
    text = "a string only this test holds " * 3
    number = 10 ** 30
    holder = [text, number, (1.5, "inner")]
    s = snap()
    assert s[text].type == "builtins.str"
    assert s[number].type == "builtins.int"
    assert s[holder[2]].type == "builtins.tuple"
    assert s[text].value.startswith("a string only this test holds")
    assert not s[text].flags & GC_TRACKED
    assert s[holder].flags & GC_TRACKED


def test_idle_process_dumps_have_identical_type_counts(tmp_path):
    paths = [str(tmp_path / ("idle-%d.hds" % i)) for i in range(3)]
    for p in paths:  # the first dump may warm caches; the next two must agree
        heapdiff.dump(p)
    second, third = Snap(paths[1]).type_counts(), Snap(paths[2]).type_counts()
    diff = {t: third[t] - second[t] for t in set(second) | set(third) if second[t] != third[t]}
    assert diff == {}


def test_probe_frames_are_not_in_the_snapshot(snap):
    s = snap()
    frame_type = s.type_names.index("builtins.frame")
    frames = [s.addresses[i] for i, t in enumerate(s.type_ids) if t == frame_type]
    assert frames
    for address in frames:
        assert not s.obj(address).value.startswith("dump __init__.py")


def test_cyclic_trash_is_kept_unless_collect(snap):
    class Cyclic:
        pass

    gc.collect()
    gc.disable()
    try:
        for _ in range(300):
            a, b = Cyclic(), Cyclic()
            a.other, b.other = b, a
        del a, b
        name = qualified_name(Cyclic)
        assert snap("trash").type_counts()[name] == 600
        assert snap("collected", collect=True).type_counts()[name] == 0
    finally:
        gc.enable()


def test_gc_freeze_objects_are_walked(snap):
    frozen_marker = {"frozen": [1, 2, 3]}
    gc.freeze()
    try:
        s = snap()
        assert frozen_marker in s
        assert s[frozen_marker].type == "builtins.dict"
    finally:
        gc.unfreeze()


def test_every_untracked_object_gc_can_reach_is_there(tmp_path):
    """The same closure computed in Python: untracked objects reachable through
    gc.get_referents() (plus dict keys) from what gc lists are all in the snapshot."""
    path = str(tmp_path / "closure.hds")
    gc.disable()
    try:
        listed = gc.get_objects()
        seen = set(map(id, listed))
        seen.add(id(listed))
        reached = []
        stack = list(listed)
        while stack:
            o = stack.pop()
            referents = gc.get_referents(o)
            if type(o) is dict:
                referents += list(o)
            for r in referents:
                if id(r) not in seen and not gc.is_tracked(r):
                    seen.add(id(r))
                    reached.append(r)
                    stack.append(r)
        heapdiff.dump(path)
    finally:
        gc.enable()
    s = Snap(path)
    missing = [r for r in reached if not s.has(id(r))]
    assert len(reached) > 1000
    assert missing == []
    wrong = [r for r in reached if s[r].type != qualified_name(type(r))]
    assert wrong == []
