"""NumPy arrays: their data is NumPy's own malloc, not the array objects' size.

    python examples/memory/numpy_arrays.py [BEFORE AFTER]   # defaults: before.hds after.hds

Keeps a growing history of 50 float64 arrays of 4 MiB each (200 MiB), every element
written. sys.getsizeof counts an array's data, but heapdiff records the object's own size
(NumPy's __sizeof__ is not trusted, see heapdiff.trust_sizeof), so the data is memory that
NumPy allocated with malloc outside the objects: native allocations (finding native_grew).
Exits with status 0 and a message where NumPy is not installed.
"""

import os
import sys

import heapdiff

ARRAYS = 50
ELEMENTS = (4 << 20) // 8  # 4 MiB of float64 each


def main():
    try:
        import numpy
    except ImportError:
        print("numpy is not installed: nothing to show", flush=True)
        return
    before, after = sys.argv[1:3] if len(sys.argv) > 2 else ("before.hds", "after.hds")
    for path in (before, after):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    heapdiff.dump(before, label="numpy imported, no arrays")
    history = []
    for step in range(ARRAYS):
        history.append(numpy.full(ELEMENTS, float(step)))
    heapdiff.dump(after, label="after %d arrays" % ARRAYS)
    print("%d arrays of %d bytes, %d bytes; wrote %s, %s"
          % (len(history), history[0].nbytes, sum(a.nbytes for a in history), before, after), flush=True)


if __name__ == "__main__":
    main()
