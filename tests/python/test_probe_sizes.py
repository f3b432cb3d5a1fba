"""Sizes are what sys.getsizeof reports, computed without running user code."""

import array
import collections
import gc
import sys
import types

from conftest import Snap, qualified_name


class Plain:
    def __init__(self):
        self.a = 1


class Slotted:
    __slots__ = ("x", "y")


class ListSub(list):  # list.__sizeof__'s formula on a subclass (its __dict__ and weakref slots)
    pass


def grown_list(kind, n):
    """A list grown by append: allocated > len, as a program's lists are."""
    out = kind()
    for i in range(n):
        out.append(i)
    return out


class SizedInPython:
    calls = 0

    def __sizeof__(self):
        SizedInPython.calls += 1
        return 12345


def test_sizes_equal_sys_getsizeof_on_known_objects(snap):
    samples = [
        {}, {"k": 1}, dict.fromkeys(range(100)), [], list(range(1000)), (), (1, 2, 3),
        "", "ascii text", "ünïcødé", "\U0001F600 wide", b"bytes" * 10, bytearray(b"x" * 100),
        2 ** 100, 3.25, set(range(50)), frozenset("abc"), Plain(), Slotted(), Plain,
        types.SimpleNamespace(a=1), collections.OrderedDict(a=1), collections.deque(range(10)),
        array.array("i", range(100)), sys, len, test_sizes_equal_sys_getsizeof_on_known_objects,
        grown_list(list, 17), grown_list(ListSub, 5), ListSub(), [None] * 3,
    ]
    s = snap()
    mismatched = [(type(o).__name__, s[o].size, sys.getsizeof(o)) for o in samples if s[o].size != sys.getsizeof(o)]
    assert mismatched == []


# The types whose __sizeof__ the probe calls or computes (docs/PROBE.md, "Sizes"); any
# other __sizeof__ is not run and its objects are flagged approximate.
TRUSTED_SIZEOF = {
    "builtins.int", "builtins.str", "builtins.bytearray", "builtins.list", "builtins.dict", "builtins.set",
    "builtins.frozenset", "builtins.type", "builtins.code", "builtins.frame", "builtins.generator",
    "builtins.coroutine", "builtins.async_generator", "collections.deque", "collections.OrderedDict",
    "array.array", "_io.BytesIO", "_io.BufferedReader", "_io.BufferedWriter", "_io.BufferedRandom",
}


def sizeof_owner(tp):
    """The type whose __dict__ defines the __sizeof__ that tp's instances use."""
    for klass in tp.__mro__:
        if "__sizeof__" in klass.__dict__:
            return klass


def exact_expected(tp):
    owner = sizeof_owner(tp)
    return owner is object or (type(owner.__dict__["__sizeof__"]).__name__ == "method_descriptor"
                               and qualified_name(owner) in TRUSTED_SIZEOF)


def test_sizes_equal_sys_getsizeof_on_the_whole_heap(snap):
    s = snap()
    checked = bad = approximate = 0
    for o in gc.get_objects():
        if not s.has(id(o)) or type(o) is SizedInPython:
            continue
        checked += 1
        if not exact_expected(type(o)):
            approximate += 1
            assert s[o].flags & 8, type(o)  # flagged: the size is the basic size only
            continue
        assert not s[o].flags & 8, type(o)
        if s[o].size != sys.getsizeof(o):
            bad += 1
    assert checked > 1000
    assert bad == 0
    assert approximate < checked / 100


def test_python_sizeof_is_never_run(snap):
    obj = SizedInPython()
    SizedInPython.calls = 0
    s = snap()
    assert SizedInPython.calls == 0
    assert s[obj].flags & 8  # size approximate
    assert s[obj].size == object.__sizeof__(obj) + (sys.getsizeof(Plain()) - Plain().__sizeof__())
    assert gc.is_tracked(obj)
