"""From a snapshot's addresses back to the live objects, without running the program's code.

Only the collector's own views are used (gc.get_objects, gc.get_referents: C traversal, no
__eq__, __hash__ or __repr__): objects are matched by id() and by the type name the snapshot
recorded, so an address reused by another object since the dump is not mistaken for it.
"""

import gc
import sys


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE


def type_name(obj):
    """The snapshot's name of obj's type, as the probe spells it: module.qualname ("app.DB",
    "builtins.str"; a class's __module__ from its own __dict__)."""
    tp = type(obj)
    if tp.__flags__ & _HEAPTYPE:
        module = type.__dict__["__dict__"].__get__(tp).get("__module__")
        qualname = type.__dict__["__qualname__"].__get__(tp)
        module = module if isinstance(module, str) else ""
    else:
        name = type.__dict__["__name__"].__get__(tp)
        module, qualname = type.__dict__["__module__"].__get__(tp), name
    return module + "." + qualname if module else qualname


def short_name(name):
    """The last component of a snapshot type name ("DB" for "app.models.DB")."""
    return name.rsplit(".", 1)[-1]


def _walk():
    """Every object the collector can see: the tracked ones and, transitively, what they
    refer to (strings, ints and other untracked objects)."""
    seen = set()
    stack = gc.get_objects()
    for o in stack:
        seen.add(id(o))
    untracked = []
    for o in stack:
        yield o
        for r in gc.get_referents(o):
            if id(r) not in seen:
                seen.add(id(r))
                untracked.append(r)
    while untracked:
        o = untracked.pop()
        yield o
        for r in gc.get_referents(o):
            if id(r) not in seen:
                seen.add(id(r))
                untracked.append(r)


def objects_at(wanted):
    """{address: live object} for the addresses of `wanted` ({address: type name}) that
    still hold an object of that type. Tries the tracked objects first (cheap), then the
    whole walk for what is left."""
    found = {}
    missing = dict(wanted)
    for o in sys.modules.values():
        if id(o) in missing and type_name(o) == missing[id(o)]:
            found[id(o)] = o
            del missing[id(o)]
    if not missing:
        return found
    objects = gc.get_objects()
    for o in objects:
        if id(o) in missing and type_name(o) == missing[id(o)]:
            found[id(o)] = o
            del missing[id(o)]
    del objects
    if missing:
        for o in _walk():
            if id(o) in missing and type_name(o) == missing[id(o)]:
                found[id(o)] = o
                del missing[id(o)]
                if not missing:
                    break
    return found


def follow_chain(hops, last):
    """The live objects of a chain [(address, type name), ...] from the start to `last`:
    each hop is looked for among the referents of the one before (the start among the
    modules, then everywhere). None when the heap no longer holds the chain."""
    chain = [None] * len(hops)
    chain[-1] = last
    if id(last) != hops[-1][0]:
        return None
    found = objects_at({hops[0][0]: hops[0][1]}) if len(hops) > 1 else {}
    if len(hops) > 1:
        if hops[0][0] not in found:
            return None
        chain[0] = found[hops[0][0]]
    for k in range(1, len(hops) - 1):
        address, name = hops[k]
        chain[k] = next((r for r in gc.get_referents(chain[k - 1]) if id(r) == address and type_name(r) == name), None)
        if chain[k] is None:  # a reference the probe sees and tp_traverse does not report
            chain[k] = objects_at({address: name}).get(address)
            if chain[k] is None:
                return None
    return chain
