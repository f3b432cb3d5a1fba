"""heapdiff: native heap snapshots of a Python process.

    import heapdiff
    heapdiff.dump("before.hds", label="before")
    ...
    heapdiff.dump("after.hds", label="after")

then, outside the process: ``heapdiff summary after.hds``.
"""

import gc
import os
import sys
import sysconfig
import threading
from time import monotonic as _monotonic

if sysconfig.get_config_var("Py_GIL_DISABLED"):
    # The walk relies on the GIL to keep the heap still; a free-threaded build has no
    # generation lists to walk either (docs/PROBE.md, "Supported interpreters").
    raise ImportError("heapdiff does not support free-threaded CPython yet: use a default (GIL) build")

from heapdiff import _probe  # noqa: E402
from heapdiff._probe import DumpError  # noqa: E402
from heapdiff._probe import __version__  # noqa: E402  (declared once: CMakeLists.txt's project VERSION)

__all__ = ["dump", "DumpError", "ForkedDump", "trust_sizeof"]

# Frames running code from this directory, and the memory they allocate, are the
# probe's own: the snapshot leaves them out, as tracemalloc leaves out its own.
_PROBE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


# How long dump(fork=True, wait=True) waits for the child by default, and how long any
# dump's child may run before it kills itself (SIGALRM) whatever it is stuck on.
DEFAULT_FORK_WAIT = 600.0
CHILD_LIMIT = 3600.0


class ForkedDump:
    """A snapshot being written by a forked copy of this process (``dump(fork=True)``).

    ``path`` is where it goes; ``pid`` the child's (None when the dump could not fork
    and ran in-process: ``why_not_forked`` says why, and the file is already written);
    ``pause_seconds`` how long this process paused. ``done()`` looks without waiting;
    ``wait(timeout)`` returns ``path`` once the file is in place, raises DumpError when
    the child failed or was killed, and TimeoutError when it is still running after
    ``timeout`` seconds (None: wait however long it takes). ``figures`` holds the child's
    counts once done (objects, edges, file_bytes, seconds, child_private_dirty).
    """

    def __init__(self, path, pid, pause_seconds, why_not_forked=None, figures=None):
        self.path = path
        self.pid = pid
        self.pause_seconds = pause_seconds
        self.why_not_forked = why_not_forked
        self.figures = figures
        self._error = None

    def _take(self, timeout):
        if self.figures is not None or self._error is not None:
            return True
        result = _probe.forked_dump_result(self.pid, timeout)
        if result is None:
            return False
        if result["ok"]:
            self.figures = result
        else:
            self._error = result["message"]
        return True

    def done(self):
        return self._take(0.0)

    def wait(self, timeout=None):
        # In slices, so that a KeyboardInterrupt gets through a long wait.
        deadline = None if timeout is None else _monotonic() + max(0.0, timeout)
        while True:
            left = 1.0 if deadline is None else min(1.0, deadline - _monotonic())
            if self._take(max(0.0, left)):
                break
            if deadline is not None and _monotonic() >= deadline:
                raise TimeoutError("the dump's child process %d is still writing %r" % (self.pid, self.path))
        if self._error is not None:
            raise DumpError("heapdiff could not dump the heap to %r: %s" % (self.path, self._error))
        return self.path

    def kill(self):
        """SIGKILL the child if it still runs (no file is left under ``path``)."""
        return self.pid is not None and _probe.kill_forked_dump(self.pid)

    def __repr__(self):
        state = "in-process" if self.pid is None else ("done" if self.done() else "running")
        return "<heapdiff.ForkedDump %r pid=%s %s>" % (self.path, self.pid, state)


def dump(path, *, label=None, tracebacks=True, collect=False, fork=False, wait=False):
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
    fork        -- walk a fork()ed copy of the process instead (docs/PROBE.md, "Forked
                   dumps"): this process pauses only for the fork and goes on while the
                   child writes the file. Returns a ForkedDump (see there) unless
                   ``wait``. Where it cannot fork (a sub-interpreter, fork() refused) the
                   dump runs in-process and the handle says why (``why_not_forked``).
    wait        -- with ``fork``: wait for the child (without holding the GIL), at most
                   ``wait`` seconds when it is a number (True: DEFAULT_FORK_WAIT), and
                   return ``path``; DumpError when the child failed, was killed or ran
                   out of time (it is then killed: nothing is left under ``path``).

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
    if wait is True:
        timeout = DEFAULT_FORK_WAIT
    elif wait is False or wait is None:
        timeout = None
    else:
        timeout = float(wait)
        if not timeout > 0:
            raise ValueError("wait must be True, False or a number of seconds > 0")
    # A lone surrogate cannot be UTF-8: it is kept visible as "\udcff".
    raw_label = None if label is None else label.encode("utf-8", "backslashreplace")
    if collect:
        gc.collect()
    if not fork:
        _probe.dump(raw, raw_label, bool(tracebacks), _PROBE_DIR)
        return shown
    # The child kills itself a little after the parent would stop waiting.
    limit = CHILD_LIMIT if timeout is None else timeout + 5.0
    result = _probe.dump(raw, raw_label, bool(tracebacks), _PROBE_DIR, True, limit)
    if not result["forked"]:
        handle = ForkedDump(shown, None, result["seconds"], result.get("why_not_forked"), result)
        return shown if timeout is not None else handle
    handle = ForkedDump(shown, result["pid"], result["pause_seconds"])
    if timeout is None:
        if sys.version_info < (3, 11):
            _release_when_child_is_gone(handle.pid)
        return handle
    try:
        return handle.wait(timeout)
    except TimeoutError:
        handle.kill()
        try:
            handle.wait(30.0)
        except (DumpError, TimeoutError):
            pass
        raise DumpError("heapdiff could not dump the heap to %r: the dump's child process did not finish "
                        "within %g s and was killed" % (shown, timeout)) from None


def _release_when_child_is_gone(pid):
    """Before 3.11 the parent holds gc.get_objects()'s lists while the child walks (each
    object's refcount stays as the child saw it); a thread gives them back once the child
    is gone, so that what the program drops meanwhile is freed then, not at the next dump."""
    thread = threading.Thread(target=_probe.release_after_forked_dump, args=(pid,),
                              name="heapdiff-fork-release", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # interpreter shutdown: the lists go with the process
        pass


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
