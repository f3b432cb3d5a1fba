"""heapdiff: native heap snapshots of a Python process.

    import heapdiff
    heapdiff.dump("before.hds", label="before")
    ...
    heapdiff.dump("after.hds", label="after")

then, outside the process: ``heapdiff summary after.hds``.
"""

import gc
import os
import sysconfig

if sysconfig.get_config_var("Py_GIL_DISABLED"):
    # The walk relies on the GIL to keep the heap still; a free-threaded build has no
    # generation lists to walk either (docs/PROBE.md, "Supported interpreters").
    raise ImportError("heapdiff does not support free-threaded CPython yet: use a default (GIL) build")

from heapdiff import _probe  # noqa: E402
from heapdiff._probe import DumpError  # noqa: E402
from heapdiff._probe import __version__  # noqa: E402  (declared once: CMakeLists.txt's project VERSION)

__all__ = ["dump", "DumpError", "trust_sizeof"]

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

    ``path`` is anything open() takes (str, bytes, os.PathLike, non-UTF-8 names); it
    must be a regular file or not exist yet; a symlink there is refused, never followed
    (docs/PROBE.md, "Where the file goes"). Returns ``path`` as given (after os.fspath).
    Raises DumpError (an OSError) when the snapshot cannot be written, among others
    when ``path`` is a directory, a FIFO, a device, a socket or a symlink; ValueError for a path
    with a NUL byte and TypeError for one that is not a path, as open() does.
    """
    shown = os.fspath(path)  # TypeError for what is not a path, as open() raises
    # The file system's bytes for the name: a str with surrogate escapes (os.fsdecode of a
    # non-UTF-8 name) and bytes both reach the file open() would open.
    raw = os.fsencode(shown)
    if b"\0" in raw:
        raise ValueError("embedded null byte")
    if label is not None and not isinstance(label, str):
        raise TypeError("label must be a str or None")
    # A lone surrogate cannot be UTF-8: it is kept visible as "\udcff".
    raw_label = None if label is None else label.encode("utf-8", "backslashreplace")
    if collect:
        gc.collect()
    _probe.dump(raw, raw_label, bool(tracebacks), _PROBE_DIR)
    return shown


def trust_sizeof(*classes):
    """Let dumps call these classes' C ``__sizeof__`` (and their subclasses').

    By default the probe calls only the C ``__sizeof__`` methods of builtin and a few
    stdlib types that it knows are safe on any instance (docs/PROBE.md, "Sizes"); an
    extension type's objects get their basic size and the *size approximate* flag,
    because a C ``__sizeof__`` may crash on an instance whose ``__init__`` never ran
    (``struct.Struct``'s does). Call this for a type whose ``__sizeof__`` you know reads
    only what its ``__new__`` sets up, e.g. ``heapdiff.trust_sizeof(numpy.ndarray)``, to
    get its exact sizes (a NumPy array's buffer). The trust lasts for the process.
    Raises ValueError for a class whose ``__sizeof__`` is written in Python: that is
    never run during a dump.
    """
    for cls in classes:
        _probe.trust_sizeof(cls)


# The objgraph-style API for a pdb prompt, and the triggers that dump when nobody is
# watching; each module lists what it exports.
from heapdiff import interactive as _interactive  # noqa: E402
from heapdiff import triggers as _triggers  # noqa: E402
from heapdiff.interactive import *  # noqa: E402,F401,F403
from heapdiff.triggers import *  # noqa: E402,F401,F403

__all__ += _interactive.__all__ + _triggers.__all__
