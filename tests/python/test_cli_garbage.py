"""heapdiff garbage: cyclic trash, the objects no root reaches.

examples/cyclic_trash.py (the gc-tuning story: thresholds 30000, 5, 100000) drops Task <->
TaskResult cycles, each Task with its own bytes payload; TaskResult has a __del__, whose
counter tells the example exactly how many dropped tasks the collector has not freed yet. A
debugging collection under gc.DEBUG_SAVEALL halfway keeps what it found in gc.garbage: those
count as trash too (gc.garbage's list is all that holds them), marked.
"""

import collections
import gc
import json
import os
import re
import subprocess
import sys
import types

import pytest

import heapdiff
from conftest import Snap
from heapdiff import _probe

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
CYCLIC_TRASH = os.path.join(EXAMPLES, "cyclic_trash.py")
PARTS, JOBS, JOB_SIZE, PAYLOAD = 200, 20, 300, 512

HAS_FINALIZER = 1 << 5
IN_GC_GARBAGE = 1 << 6


class SlotsLikeTask:  # the same layout as the example's Task and TaskResult, for getsizeof
    __slots__ = ("part", "payload", "result")


class SlotsLikeTaskResult:
    __slots__ = ("task", "ok")


class Oracle:
    """Cyclic trash by brute force: what the roots (modules, thread frames, objects whose
    reference count is more than the snapshot's references to them explain) do not reach,
    not counting what only gc.garbage's list holds."""

    def __init__(self, snap):
        details = _probe.read_snapshot(snap.path, list(snap.addresses))["details"]
        edges = {a: [t for t, _ in d[1] if t in details] for a, d in details.items()}
        indegree = collections.Counter(t for targets in edges.values() for t in targets)
        roots = set(snap.module_roots.values())
        for frames in snap.thread_roots.values():
            roots.update(frames)
        roots.update(a for i, a in enumerate(snap.addresses) if snap.refcounts[i] > indegree[a])
        gc_dict = dict((l, t) for t, l in details[snap.module_roots["gc"]][1])["__dict__"]
        gc_garbage = dict((l, t) for t, l in details[gc_dict][1])["['garbage']"]
        seen, stack = set(roots), list(roots)
        while stack:
            a = stack.pop()
            if a != gc_garbage:
                for t in edges[a]:
                    if t not in seen:
                        seen.add(t)
                        stack.append(t)
        self.trash = [i for i, a in enumerate(snap.addresses) if a not in seen]
        self.types = {}
        for i in self.trash:
            row = self.types.setdefault(snap.type_names[snap.type_ids[i]], [0, 0, 0, 0])
            row[0] += 1
            row[1] += snap.sizes[i]
            row[2] += bool(snap.flags[i] & HAS_FINALIZER)
            row[3] += bool(snap.flags[i] & IN_GC_GARBAGE)
        self.objects = len(self.trash)
        self.bytes = sum(snap.sizes[i] for i in self.trash)


@pytest.fixture(scope="module")
def trash(tmp_path_factory):
    out = tmp_path_factory.mktemp("trash")
    r = subprocess.run([sys.executable, CYCLIC_TRASH, str(out), "--parts", str(PARTS), "--jobs", str(JOBS),
                        "--job-size", str(JOB_SIZE), "--payload", str(PAYLOAD)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(r"phase 1: (\d+) parts; phase 2: (\d+) tasks, (\d+) of them kept in gc.garbage by DEBUG_SAVEALL\n"
                     r"not collected: (\d+) tasks; wrote (.*)\n"
                     r"after gc.collect\(\): (\d+) tasks not collected; wrote (.*)\n", r.stdout)
    assert m, r.stdout
    assert (int(m[1]), int(m[2]), int(m[6])) == (PARTS, JOBS * JOB_SIZE, 0)
    saved, pending = int(m[3]), int(m[4])
    assert saved > 0 and pending > 0  # the jobs after the debugging collection are all still there
    snaps = [Snap(m[5]), Snap(m[7])]
    return types.SimpleNamespace(saved=saved, pending=pending, snaps=snaps, oracles=[Oracle(s) for s in snaps])


def garbage(run_cli, snap, *args):
    r = run_cli("garbage", snap.path, *args, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def rows(data):
    return {t["type"]: [t["count"], t["size"], t["finalizers"], t["in_gc_garbage"]] for t in data["types"]}


def test_dropped_tasks_are_cyclic_trash(run_cli, trash):
    snap, oracle = trash.snaps[0], trash.oracles[0]
    data = garbage(run_cli, snap)
    alive = trash.pending + trash.saved  # every Task and TaskResult in memory is trash
    task, result = getsizeof_task_and_result()
    assert rows(data)["__main__.Task"] == [alive, alive * task, 0, trash.saved]
    assert rows(data)["__main__.TaskResult"] == [alive, alive * result, alive, trash.saved]
    payloads = rows(data)["builtins.bytes"]
    assert payloads[0] >= alive and payloads[1] >= alive * sys.getsizeof(bytes(PAYLOAD))
    assert "__main__.Part" not in rows(data)  # phase 1's cycles are alive: MODEL holds them
    assert (data["objects"], data["bytes"]) == (oracle.objects, oracle.bytes)
    assert rows(data) == oracle.types
    assert data["finalizers"] == sum(r[2] for r in oracle.types.values())
    assert data["in_gc_garbage"] == sum(r[3] for r in oracle.types.values())
    sizes = [t["size"] for t in data["types"]]
    assert sizes == sorted(sizes, reverse=True)


def getsizeof_task_and_result():
    return sys.getsizeof(SlotsLikeTask()), sys.getsizeof(SlotsLikeTaskResult())


def test_after_collecting_only_gc_garbage_is_left(run_cli, trash):
    snap, oracle = trash.snaps[1], trash.oracles[1]
    data = garbage(run_cli, snap)
    task, result = getsizeof_task_and_result()
    assert rows(data)["__main__.Task"] == [trash.saved, trash.saved * task, 0, trash.saved]
    assert rows(data)["__main__.TaskResult"] == [trash.saved, trash.saved * result, trash.saved, trash.saved]
    assert (data["objects"], data["bytes"]) == (oracle.objects, oracle.bytes)
    assert rows(data) == oracle.types


def test_summary_counts_the_trash(run_cli, trash):
    for snap, oracle in zip(trash.snaps, trash.oracles):
        r = run_cli("summary", snap.path, "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["garbage"] == {"objects": oracle.objects, "bytes": oracle.bytes}
        r = run_cli("summary", snap.path)
        assert r.returncode == 0, r.stderr
        lines = [line for line in r.stdout.splitlines() if line.startswith("cyclic trash:")]
        assert len(lines) == 1 and "{:,}".format(oracle.objects) in lines[0], r.stdout


def test_garbage_text(run_cli, trash):
    r = run_cli("garbage", trash.snaps[0].path)
    assert r.returncode == 0, r.stderr
    lines = {line.split()[-1]: line for line in r.stdout.splitlines() if line.strip()}
    assert "{:,}".format(trash.pending + trash.saved) in lines["__main__.TaskResult"]
    r = run_cli("garbage", trash.snaps[0].path, "--top", "2")
    assert r.returncode == 0, r.stderr
    assert "__main__.Part" not in r.stdout


class Cyclic:
    def __init__(self):
        self.me = self


class Finalized:
    def __init__(self):
        self.me = self

    def __del__(self):
        pass


def test_trash_made_here(run_cli, tmp_path):
    """Known cycles dropped with the collector off: exactly they (and their dicts before 3.11,
    where instance attributes live in a dict) are the trash of this process."""
    path = str(tmp_path / "here.hds")
    gc.collect()
    gc.disable()
    try:
        for _ in range(7):
            Cyclic()
        for _ in range(3):
            Finalized()
        heapdiff.dump(path)
    finally:
        gc.enable()
        gc.collect()
    snap = Snap(path)
    data = garbage(run_cli, snap)
    assert rows(data)["test_cli_garbage.Cyclic"][0] == 7
    assert rows(data)["test_cli_garbage.Finalized"][0] == 3
    assert rows(data)["test_cli_garbage.Finalized"][2] == 3
    assert rows(data)["test_cli_garbage.Cyclic"][2:] == [0, 0]
    assert rows(data) == Oracle(snap).types


def test_garbage_bad_input(run_cli, tmp_path):
    r = run_cli("garbage", tmp_path / "missing.hds")
    assert r.returncode != 0 and r.stdout == "" and len(r.stderr.splitlines()) == 1
    path = heapdiff.dump(str(tmp_path / "ok.hds"))
    r = run_cli("garbage", path, path)
    assert r.returncode != 0 and r.stdout == "" and len(r.stderr.splitlines()) == 1
    r = run_cli("garbage", path, "--top", "many")
    assert r.returncode != 0 and r.stdout == "" and len(r.stderr.splitlines()) == 1
