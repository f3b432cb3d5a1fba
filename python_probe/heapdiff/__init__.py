"""heapdiff: native heap snapshots of a Python process.

    import heapdiff
    heapdiff.dump("before.hds", label="before")
    ...
    heapdiff.dump("after.hds", label="after")

then, outside the process: ``heapdiff summary after.hds``.
"""

import gc
import os

from heapdiff import _probe
from heapdiff._probe import DumpError

__all__ = ["dump", "DumpError"]
__version__ = "0.1.0"

# Frames running code from this directory, and the memory they allocate, are the
# probe's own: the snapshot leaves them out, as tracemalloc leaves out its own.
_PROBE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def dump(path, *, label=None, tracebacks=True, collect=False):
    """Write a snapshot of every live object to ``path`` and return ``path``.

    The walk is native: it runs no Python code of the program (no ``__repr__``,
    ``__sizeof__`` or ``__eq__``), pauses the garbage collector while it runs and
    writes the file under a temporary name that is renamed into place, so ``path``
    only ever holds a complete snapshot.

    label       -- a note stored in the snapshot ("after warm-up").
    tracebacks  -- record each object's allocation traceback when tracemalloc is
                   tracing (``tracemalloc.start(25)``); the per-traceback totals of
                   every traced block are recorded either way.
    collect     -- run ``gc.collect()`` first. Off by default: collecting destroys
                   the evidence of cyclic trash.
    Raises DumpError (an OSError) when the snapshot cannot be written.
    """
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if label is not None and not isinstance(label, str):
        raise TypeError("label must be a str or None")
    if collect:
        gc.collect()
    _probe.dump(path, label, bool(tracebacks), _PROBE_DIR)
    return path


# The objgraph-style API for a pdb prompt, and the triggers that dump when nobody is
# watching; each module lists what it exports.
from heapdiff import interactive as _interactive  # noqa: E402
from heapdiff import triggers as _triggers  # noqa: E402
from heapdiff.interactive import *  # noqa: E402,F401,F403
from heapdiff.triggers import *  # noqa: E402,F401,F403

__all__ += _interactive.__all__ + _triggers.__all__
