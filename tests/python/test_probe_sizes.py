"""Sizes are what sys.getsizeof reports, computed without running user code."""

import array
import collections
import gc
import sys
import types

from conftest import Snap


class Plain:
    def __init__(self):
        self.a = 1


class Slotted:
    __slots__ = ("x", "y")


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
    ]
    s = snap()
    mismatched = [(type(o).__name__, s[o].size, sys.getsizeof(o)) for o in samples if s[o].size != sys.getsizeof(o)]
    assert mismatched == []


def test_sizes_equal_sys_getsizeof_on_the_whole_heap(snap):
    s = snap()
    checked = bad = 0
    for o in gc.get_objects():
        if not s.has(id(o)) or type(o) is SizedInPython:
            continue
        checked += 1
        if s[o].size != sys.getsizeof(o):
            bad += 1
    assert checked > 1000
    assert bad == 0


def test_python_sizeof_is_never_run(snap):
    obj = SizedInPython()
    SizedInPython.calls = 0
    s = snap()
    assert SizedInPython.calls == 0
    assert s[obj].flags & 8  # size approximate
    assert s[obj].size == object.__sizeof__(obj) + (sys.getsizeof(Plain()) - Plain().__sizeof__())
    assert gc.is_tracked(obj)
