"""Edges are gc.get_referents() (plus dict keys), labelled where it is cheap."""

import gc
import sys

from conftest import Snap


class WithSlots:
    __slots__ = ("left", "right")


class WithDict:
    pass


def test_list_tuple_dict_labels(snap):
    a, b = ["a"], ["b"]
    lst = [a, b]
    tup = (b, a)
    d = {"alpha": a, "beta": b}
    s = snap()
    assert s.labels(lst) == {"[0]": id(a), "[1]": id(b)}
    assert s.labels(tup) == {"[0]": id(b), "[1]": id(a)}
    labels = s.labels(d)
    assert labels["['alpha']"] == id(a)
    assert labels["['beta']"] == id(b)
    keys = [t for t, label in s[d].edges if label == "key"]
    assert sorted(keys) == sorted(id(k) for k in d)


def attribute_target(s, obj, name):
    """Where obj.name points in the snapshot: an inline value labelled .name (3.11+,
    no __dict__ materialised, and 3.13 even with one) or __dict__ then ['name']."""
    labels = s.labels(obj)
    if "." + name in labels:
        return labels["." + name]
    inner = {label: t for t, label in s.obj(labels["__dict__"]).edges}
    return inner["['%s']" % name]


def test_slots_and_instance_attributes(snap):
    leaf = ["leaf"]
    slotted = WithSlots()
    slotted.left, slotted.right = leaf, "r"
    plain = WithDict()
    plain.child = leaf
    materialised = WithDict()
    materialised.__dict__
    materialised.child = leaf
    many = WithDict()
    for i in range(40):  # too many for inline values: a real dict on every version
        setattr(many, "a%d" % i, i)
    many.child = leaf
    s = snap()
    assert s.labels(slotted)[".left"] == id(leaf)
    assert s.labels(slotted)[".right"] == id(slotted.right)
    assert s.labels(slotted)["__class__"] == id(WithSlots)
    for holder in (plain, materialised, many):
        assert attribute_target(s, holder, "child") == id(leaf)
    if sys.version_info >= (3, 11):
        assert s.labels(plain)[".child"] == id(leaf)
    assert s.labels(many)["__dict__"] == id(many.__dict__)


def test_referents_cover_gc_get_referents(snap):
    samples = [WithDict(), [1, [2]], {"x": [3]}, (4, [5]), {frozenset([6])}, sys.modules[__name__], WithDict]
    s = snap()
    for o in samples:
        expected = sorted(id(r) for r in gc.get_referents(o))
        got = s[o].targets()
        assert all(r in got for r in expected), type(o)


def test_function_exception_traceback_fields(snap):
    def f():
        local_value = ["kept by the frame"]
        raise ValueError(local_value)

    try:
        f()
    except ValueError as e:
        error = e
    s = snap()
    assert s.labels(f)["__globals__"] == id(globals())
    assert s.labels(f)["__code__"] == id(f.__code__)
    assert s.labels(error)["__traceback__"] == id(error.__traceback__)
    tb = error.__traceback__
    assert s.labels(tb)["tb_frame"] == id(tb.tb_frame)
    assert s.labels(tb)["tb_next"] == id(tb.tb_next)
    inner = tb.tb_next.tb_frame
    assert s[inner].type == "builtins.frame"
    assert s[inner].value.startswith("f ")
    if sys.version_info < (3, 11):
        assert s.labels(inner)["local 'local_value'"] == id(error.args[0])
    else:
        assert id(error.args[0]) in s[inner].targets()


def test_module_and_roots(snap):
    s = snap()
    me = sys.modules[__name__]
    assert s.module_roots[__name__] == id(me)
    assert s[me].value == __name__
    assert s[me].type == "builtins.module"
    # this thread's stack is a root, innermost frame first
    frames = s.thread_roots[__import__("threading").get_ident()]
    assert frames and all(s.obj(f).type == "builtins.frame" for f in frames)
    here = sys._getframe()
    assert id(here) in frames
