"""Build a synthetic heap of N gc-tracked objects in the current process.

    from heap_builder import build_heap
    heap = build_heap(1_000_000)      # keep `heap` alive as long as the objects must live
    heap.tracked                      # gc-tracked objects made, by construction
    heap.tracked_delta                # len(gc.get_objects()) after - before

The heap is a mix of what a service holds: model instances with a __dict__ (some with the
dict materialised, as after vars()/__dict__ access), __slots__ instances, dicts, lists,
tuples, unique strings and big ints (untracked, referenced from the containers), plus
reference cycles (peer pairs, parent <-> children links, self-referencing lists).

Some containers are untracked on purpose, as CPython leaves them: dicts and tuples that
hold only atomic values (str, int, float) are not gc-tracked (dicts from the start, tuples
once a collection has seen them). They are walked by heap tools as untracked referents,
like the strings and ints, and are counted in `untracked_containers`, not in `tracked`.

The builder pauses the collector while it builds and runs one full collection at the end,
so which tuples are tracked is settled before anyone counts.

Run it as a script for a quick check: python bench/heap_builder.py 1000000
"""

import gc
import sys
import time

__all__ = ["build_heap", "Heap"]


class Record:
    """An ordinary instance: attributes in a (3.11+: inline, lazily materialised) __dict__."""

    def __init__(self, ident, name, payload, tags):
        self.ident = ident
        self.name = name
        self.payload = payload
        self.tags = tags
        self.peer = None


class Point:
    __slots__ = ("x", "y", "label")

    def __init__(self, x, y, label):
        self.x = x
        self.y = y
        self.label = label


class Node:
    """Tree nodes: parent <-> children reference cycles."""

    __slots__ = ("parent", "children", "key")

    def __init__(self, parent, key):
        self.parent = parent
        self.children = []
        self.key = key


class Heap:
    """The objects built, held in chunks (lists of ~10,000 units) and the figures."""

    def __init__(self):
        self.chunks = []
        self.tracked = 0  # gc-tracked objects made, by construction
        self.untracked_containers = 0  # atomic dicts/tuples: untracked by CPython
        self.tracked_delta = 0  # measured: len(gc.get_objects()) delta
        self.seconds = 0.0

    def __repr__(self):
        return "<Heap tracked=%d delta=%d untracked_containers=%d>" % (
            self.tracked, self.tracked_delta, self.untracked_containers)


_SHARED_TAGS = ("alpha", "beta", "gamma", "delta")


def _unit(i, chunk, prev_record):
    """Builds one unit of the mix, appends its roots to `chunk`, returns
    (tracked made, untracked containers made, the unit's Record)."""
    # Strings and ints are unique per unit (untracked, referenced from containers).
    name = "record-%08d" % i
    big = i * 1_000_003 + 10**12
    tags = [_SHARED_TAGS[i & 3], "tag-%d" % i]                      # list: tracked
    rec = Record(i, name, big, tags)                               # instance: tracked
    if prev_record is not None and i % 2:
        rec.peer = prev_record                                     # peer cycle
        prev_record.peer = rec
    if i % 5 == 0:
        rec.__dict__                                                # materialised dict: tracked
    pt = Point(float(i), i + 0.5, name)                            # __slots__: tracked
    row = {"id": big, "name": name, "rec": rec, "pt": pt}          # dict with containers: tracked
    meta = {"kind": "meta", "n": big + 1, "s": "m%d" % i}          # atomic dict: untracked
    pair = (rec, pt, "p%d" % i)                                    # tuple with containers: tracked
    key = (big, name)                                              # atomic tuple: untracked
    chunk.append((row, meta, pair, key))                           # tuple with containers: tracked
    tracked = 6 + (1 if i % 5 == 0 else 0)
    if i % 4 == 0:
        # a small tree: parent <-> children cycles
        root = Node(None, name)
        for k in range(3):
            child = Node(root, k)
            root.children.append(child)
        chunk.append(root)
        tracked += 4 * 2                                            # 4 nodes + 4 children lists
    if i % 7 == 0:
        loop = ["loop", big]
        loop.append(loop)                                          # self-referencing list
        chunk.append(loop)
        tracked += 1
    return tracked, 2, rec


def _settle():
    """Collect until the count of tracked objects stops changing: one collection untracks
    a tuple only once the tuples inside it are untracked, so nested ones take several."""
    last = -1
    for _ in range(10):
        gc.collect()
        n = len(gc.get_objects())
        if n == last:
            return
        last = n


def build_heap(n_tracked, chunk_units=10_000, verbose=False):
    """Make at least `n_tracked` gc-tracked objects (overshooting by less than one unit,
    ~15 objects) and return the Heap holding them."""
    heap = Heap()
    was_enabled = gc.isenabled()
    _settle()
    gc.disable()
    start = time.perf_counter()
    try:
        before = len(gc.get_objects())
        heap.chunks = chunks = []
        heap.tracked = 1  # the chunks list
        i = 0
        prev = None
        while heap.tracked < n_tracked:
            chunk = []
            chunks.append(chunk)
            heap.tracked += 1
            for _ in range(chunk_units):
                t, u, prev = _unit(i, chunk, prev)
                heap.tracked += t
                heap.untracked_containers += u
                i += 1
                if heap.tracked >= n_tracked:
                    break
        # Settle tracking: a collection untracks atomic tuples (and the probe's own lists
        # and frames of this function are gone by the time anyone dumps).
        _settle()
        heap.tracked_delta = len(gc.get_objects()) - before
    finally:
        if was_enabled:
            gc.enable()
    heap.seconds = time.perf_counter() - start
    if verbose:
        print("built %r in %.1f s" % (heap, heap.seconds), file=sys.stderr)
    return heap


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    h = build_heap(n)
    print("asked %d, made %d gc-tracked by construction, gc.get_objects() delta %d, "
          "%d untracked atomic dicts/tuples, %.2f s" % (n, h.tracked, h.tracked_delta,
                                                       h.untracked_containers, h.seconds))
    sys.exit(0 if abs(h.tracked - h.tracked_delta) <= 2 else 1)
