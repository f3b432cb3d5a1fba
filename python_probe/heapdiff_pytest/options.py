"""The --heapdiff options, checked once at configure time, before any test runs: a value
that cannot work is a pytest.UsageError with one line, not a traceback half-way through
the session. Paths are made absolute here, against the directory pytest was started in,
so a test that changes directory changes nothing for the plugin."""

import os
import tempfile
from collections import namedtuple

import pytest

Settings = namedtuple("Settings", "runs fail json_path keep_dir")


def check(config):
    """The settings of a --heapdiff session; UsageError for an option that cannot work.
    Creates nothing but the --heapdiff-dir the user asked for (and its parents)."""
    runs = config.getoption("heapdiff_runs")
    if runs < 3:
        raise pytest.UsageError("--heapdiff-runs %d: at least 3 (a warm-up run, then two to grow in)" % runs)
    start = _start_dir(config)
    json_path = config.getoption("heapdiff_json")
    if json_path is not None:
        json_path = os.path.join(start, json_path)
        # An xdist worker never writes the report (its controller does, and checked it).
        if not hasattr(config, "workerinput"):
            _check_writable_file("--heapdiff-json", json_path)
    keep_dir = config.getoption("heapdiff_dir")
    if keep_dir is not None:
        keep_dir = os.path.join(start, keep_dir)
        _make_writable_dir("--heapdiff-dir", keep_dir)
    return Settings(runs, config.getoption("heapdiff_fail"), json_path, keep_dir)


def _start_dir(config):
    params = getattr(config, "invocation_params", None)  # pytest >= 5.1
    return os.path.abspath(str(params.dir) if params is not None else os.getcwd())


def _check_writable_file(option, path):
    """The report file can be opened for writing: an existing one is opened as it is (not
    truncated, not followed into a FIFO that waits for a reader); a new one is created and
    removed again, so a session that fails leaves no empty report behind."""
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        if os.path.lexists(path):
            os.close(os.open(path, flags))
        else:
            os.close(os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666))
            os.unlink(path)
    except OSError as e:
        raise pytest.UsageError("%s=%s: cannot write it: %s" % (option, path, e.strerror or e))


def _make_writable_dir(option, path):
    """The snapshots' directory exists (made if needed) and a file can be created in it."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise pytest.UsageError("%s=%s: not a directory" % (option, path))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise pytest.UsageError("%s=%s: cannot create it: %s" % (option, path, e.strerror or e))
    # os.access() answers yes for root even where the file system says no (/proc, /sys, a
    # read-only mount): try it, with a new name of our own (mkstemp: O_EXCL, random), removed
    # at once.
    try:
        fd, probe = tempfile.mkstemp(prefix=".heapdiff-write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise pytest.UsageError("%s=%s: cannot write in it: %s" % (option, path, e.strerror or e))
