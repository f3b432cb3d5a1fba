"""Shared helpers: load a snapshot with the same core reader the CLI uses, and find the
heapdiff command installed next to this interpreter."""

import array
import collections
import os
import re
import shutil
import subprocess
import sys

import pytest

import heapdiff
from heapdiff import _probe

GC_TRACKED = 1
PERMANENT = 3 << 1  # generation bits of an object in no gc list (gc.freeze(), or 3.12's static types)


# The triggers fork by default: a forked dump logs "forked process N to write PATH (...)"
# at once and, when the child is done, "wrote PATH (...)" followed by this tail.
WROTE_TAIL = r"(: walked by process \d+ in \S+ s, copy .+)?$"


def dump_log(lines):
    """The trigger log lines of `lines` (a list or stderr text) but the "forked process"
    ones, with the forked tail cut from each "wrote" line: what an in-process dump logs."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    return [re.sub(r"(heapdiff: wrote \S+ \(.*\))" + WROTE_TAIL, r"\1", l) for l in lines
            if not re.match(r"heapdiff: forked process \d+ to write ", l)]


def in_gc_lists(flags):
    return flags & GC_TRACKED and flags & PERMANENT != PERMANENT


class Snap:
    """A snapshot read by the core reader, indexed by address (tests only).

    Columns are compact arrays; an object's display value and labelled edges are read
    on demand (snap[obj].edges), so loading a large heap stays cheap.
    """

    def __init__(self, path):
        self.path = str(path)
        data = _probe.read_snapshot(self.path)
        self.facts = data["facts"]
        self.tracebacks = data["tracebacks"]
        self.trace_stats = data["trace_stats"]
        self.module_roots = data["module_roots"]
        self.thread_roots = data["thread_roots"]
        self.type_names = data["type_names"]
        self.addresses = array.array("Q", data["addresses"])
        self.type_ids = array.array("I", data["type_ids"])
        self.sizes = array.array("Q", data["sizes"])
        self.refcounts = array.array("Q", data["refcounts"])
        self.flags = array.array("B", data["flags"])
        self.traceback_ids = array.array("I", data["traceback_ids"])
        self.index = {a: i for i, a in enumerate(self.addresses)}
        assert len(self.index) == len(self.addresses), "an address appears twice in the snapshot"
        self._details = {}

    def __len__(self):
        return len(self.addresses)

    def obj(self, address):
        return Obj(self, self.index[address])

    def __getitem__(self, obj):
        return self.obj(id(obj))

    def __contains__(self, obj):
        return id(obj) in self.index

    def has(self, address):
        return address in self.index

    def details(self, address):
        if address not in self._details:
            self._details.update(_probe.read_snapshot(self.path, [address])["details"])
        return self._details[address]

    def type_counts(self, listed_only=False):
        """Objects per type; listed_only: only those gc.get_objects() lists."""
        names, flags = self.type_names, self.flags
        return collections.Counter(
            names[t] for i, t in enumerate(self.type_ids) if not listed_only or in_gc_lists(flags[i])
        )

    def labels(self, obj):
        """{label: target address} of obj's edges."""
        return {label: target for target, label in self[obj].edges}


class Obj:
    def __init__(self, snap, i):
        self.snap, self.i = snap, i
        self.address = snap.addresses[i]
        self.type = snap.type_names[snap.type_ids[i]]
        self.size = snap.sizes[i]
        self.refcount = snap.refcounts[i]
        self.flags = snap.flags[i]
        self.traceback = snap.traceback_ids[i]

    @property
    def value(self):
        return self.snap.details(self.address)[0]

    @property
    def edges(self):
        return self.snap.details(self.address)[1]

    def targets(self):
        return [t for t, _ in self.edges]


def qualified_name(tp):
    module = tp.__module__ if isinstance(tp.__module__, str) else None
    return tp.__qualname__ if module is None else module + "." + tp.__qualname__


@pytest.fixture
def snap(tmp_path):
    """snap(name="x", **dump_kwargs) -> Snap of a fresh dump of this process."""

    def take(name="heap", **kwargs):
        path = tmp_path / (name + ".hds")
        assert heapdiff.dump(str(path), **kwargs) == str(path)
        return Snap(path)

    return take


def cli_path():
    beside = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    return beside if os.path.exists(beside) else shutil.which("heapdiff")


@pytest.fixture
def run_cli():
    exe = cli_path()
    assert exe, "the heapdiff command is not installed next to this interpreter"

    def run(*args):
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120)

    return run
