"""dump(fork=True): the walk in a fork()ed copy. Each case runs in a process of its own
(with -W error: no warning may reach stderr, 3.12's about forking threads included), and
every wait is bounded."""

import os
import subprocess
import sys
import textwrap

import pytest

import heapdiff
from conftest import Snap

TIMEOUT = 120  # seconds for a whole script; the forked dumps inside wait at most 60


def run(tmp_path, body, stderr_empty=True):
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(body))
    proc = subprocess.run([sys.executable, "-W", "error", str(script), str(tmp_path)], capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if stderr_empty:
        assert proc.stderr == ""
    return proc


# Threads that allocate all the time, one holding tracemalloc's table lock as much as it can
# (3.12+: the probe reaches the lock; before, raw frees are the only holders without the GIL).
WORKERS = """
import sys, threading, time, tracemalloc, heapdiff
from heapdiff import _probe
tracemalloc.start(5)
CHURN = 1000
stop = threading.Event()
def churn():
    while not stop.is_set():
        junk = [object() for _ in range(CHURN)]
        del junk
def hold():
    while not stop.is_set():
        if not _probe._hold_tracemalloc_lock(0.002):
            time.sleep(0.001)
threads = [threading.Thread(target=churn) for _ in range(2)] + [threading.Thread(target=hold)]
"""


def test_forked_dump_of_busy_threads_matches_in_process_dump(tmp_path):
    run(tmp_path, WORKERS + """
class Leaf:
    def __init__(self, n):
        self.n = n
        self.payload = [n, str(n)]
keep = [Leaf(i) for i in range(20000)]
for t in threads: t.start()
time.sleep(0.1)
heapdiff.dump(sys.argv[1] + "/forked.hds", fork=True, wait=60)
stop.set()
for t in threads: t.join()
heapdiff.dump(sys.argv[1] + "/inproc.hds")
""")
    forked, inproc = Snap(str(tmp_path / "forked.hds")), Snap(str(tmp_path / "inproc.hds"))
    assert forked.facts["probe.forked"] == 1 and inproc.facts["probe.forked"] == 0
    assert forked.facts["pid"] == inproc.facts["pid"]  # the parent's, not the child's
    assert forked.facts["probe.child_private_dirty"] > 0
    assert 0 <= forked.facts["probe.parent_pause_seconds"] < forked.facts["probe.child_walk_seconds"] + 1
    a, b = forked.type_counts(), inproc.type_counts()
    assert a["__main__.Leaf"] == b["__main__.Leaf"] == 20000
    # The forked dump saw up to one live list of CHURN objects per churning thread (2), and
    # the three threads' frames and locals; the quiescent one saw none of that.
    for name in set(a) | set(b):
        slack = 2 * 1000 + 50 if name in ("builtins.object", "builtins.list") else 50
        assert abs(a[name] - b[name]) <= slack, (name, a[name], b[name])


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the probe reaches tracemalloc's lock on 3.12+ only")
def test_a_held_tracemalloc_lock_costs_the_tracebacks_not_a_deadlock(tmp_path):
    run(tmp_path, """
import sys, threading, time, tracemalloc, heapdiff
from heapdiff import _probe
tracemalloc.start(5)
keep = [[i] for i in range(10000)]
stop = threading.Event()
def hold():
    while not stop.is_set():
        _probe._hold_tracemalloc_lock(0.05)  # back to back: free only for instants
holder = threading.Thread(target=hold)
holder.start()
time.sleep(0.2)
# Every traced allocation of this program waits for the holder (tracemalloc's own rule), the
# dump's in the parent too; the fork finds the lock free (tracebacks) or held past 20 ms
# (no tracebacks, said in a fact). Never a child that waits for ever.
for i in range(5):
    heapdiff.dump(sys.argv[1] + "/held-%d.hds" % i, fork=True, wait=60)
stop.set()
holder.join()
""")
    for i in range(5):
        s = Snap(str(tmp_path / ("held-%d.hds" % i)))
        if "probe.tracebacks_omitted" in s.facts:
            assert "held by another thread" in s.facts["probe.tracebacks_omitted"]
            assert s.facts["tracemalloc.tracing"] == 0
        else:
            assert s.facts["tracemalloc.tracing"] == 1
    assert s.type_counts()["builtins.list"] >= 10000


def test_the_programs_sigchld_handler_and_wait_callers_are_unaffected(tmp_path):
    run(tmp_path, """
import os, signal, subprocess, sys, heapdiff
seen = []
signal.signal(signal.SIGCHLD, lambda *a: seen.append(1))
own = subprocess.Popen(["sh", "-c", "exit 7"])
heapdiff.dump(sys.argv[1] + "/a.hds", fork=True, wait=60)
pid, status = os.waitpid(own.pid, 0)
assert pid == own.pid and os.WEXITSTATUS(status) == 7, status
own.returncode = 7  # reaped by the program itself, as it meant to
other = subprocess.Popen(["sh", "-c", "exit 3"])
pid, status = os.wait()  # the dump's child is reaped already: only the program's own
assert pid == other.pid and os.WEXITSTATUS(status) == 3, (pid, other.pid)
other.returncode = 3
assert seen, "the program's SIGCHLD handler ran"
# A program that reaps any child while a dump is being written takes the dump's child too:
# the dump is still reported, from the child's pipe.
keep = [[i] for i in range(300000)]
handle = heapdiff.dump(sys.argv[1] + "/b.hds", fork=True)
try:
    pid, status = os.wait()
    assert pid == handle.pid and os.WEXITSTATUS(status) == 0
except ChildProcessError:
    pass  # the probe's reaper was first this time
assert handle.wait(60) == sys.argv[1] + "/b.hds"
assert os.path.exists(handle.path)
""")


def test_a_killed_child_leaves_nothing_and_is_reported(tmp_path):
    run(tmp_path, """
import os, signal, sys, time, heapdiff
keep = [{"n": [i]} for i in range(400000)]
out = sys.argv[1] + "/out"
os.mkdir(out)
handle = heapdiff.dump(out + "/killed.hds", fork=True)
time.sleep(0.05)
os.kill(handle.pid, signal.SIGKILL)
try:
    handle.wait(60)
    raise SystemExit("no DumpError")
except heapdiff.DumpError as e:
    assert "signal 9" in str(e), e
try:
    heapdiff.dump(out + "/late.hds", fork=True, wait=0.01)
    raise SystemExit("no DumpError")
except heapdiff.DumpError as e:
    assert "was killed" in str(e), e
time.sleep(0.5)  # the reaper removes the dead child's temporary file
assert os.listdir(out) == [], os.listdir(out)
""")


def test_a_trigger_with_fork_dumps_and_logs(tmp_path):
    proc = run(tmp_path, """
import os, sys, time, heapdiff
keep = [[i] for i in range(10000)]
installed = heapdiff.install(sys.argv[1], signal=None, every="300ms", keep=None, fork=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not installed.written:
    time.sleep(0.05)
heapdiff.uninstall()
assert installed.written
""", stderr_empty=False)
    assert "forked process" in proc.stderr and "wrote " in proc.stderr, proc.stderr
    assert "Warning" not in proc.stderr
    written = sorted(p for p in os.listdir(tmp_path) if p.endswith(".hds"))
    assert written
    s = Snap(str(tmp_path / written[0]))
    assert s.facts["probe.forked"] == 1


def test_fork_in_environment_spec():
    from heapdiff.triggers import parse_spec
    assert parse_spec("every=1s,fork=0") == {"every": "1s", "fork": False}


def test_fork_false_is_the_default_of_dump(tmp_path):
    path = str(tmp_path / "a.hds")
    assert heapdiff.dump(path) == path
    assert Snap(path).facts["probe.forked"] == 0


NO_FORK_SCRIPT = """
import os, sys, time, heapdiff
keep = [[i] for i in range(1000)]
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not [n for n in os.listdir(sys.argv[1]) if n.endswith(".hds")]:
    time.sleep(0.02)
"""


@pytest.mark.parametrize("how", ["install", "environment", "run"])
def test_triggers_told_not_to_fork_dump_in_process(tmp_path, how):
    """fork=False, fork=0 in HEAPDIFF_TRIGGERS and `python -m heapdiff run --no-fork`: the
    periodic dump is walked by the process itself (no "forked process" line, forked 0)."""
    script = tmp_path / "case.py"
    env = dict(os.environ)
    env.pop("HEAPDIFF_TRIGGERS", None)
    if how == "install":
        script.write_text("import heapdiff, sys\n"
                          "heapdiff.install(sys.argv[1], signal=None, every='100ms', fork=False)\n" + NO_FORK_SCRIPT)
        cmd = [sys.executable, "-W", "error", str(script), str(tmp_path)]
    elif how == "environment":
        script.write_text("import heapdiff\n" + NO_FORK_SCRIPT)
        env["HEAPDIFF_TRIGGERS"] = "dir=%s,signal=none,every=100ms,fork=0" % tmp_path
        cmd = [sys.executable, "-W", "error", str(script), str(tmp_path)]
    else:
        script.write_text(NO_FORK_SCRIPT)
        cmd = [sys.executable, "-W", "error", "-m", "heapdiff", "run", "--dir", str(tmp_path), "--signal", "none",
               "--every", "100ms", "--no-fork", "--", str(script), str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "forked process" not in proc.stderr and "wrote " in proc.stderr, proc.stderr
    written = sorted(n for n in os.listdir(tmp_path) if n.endswith(".hds"))
    assert written
    assert Snap(str(tmp_path / written[0])).facts["probe.forked"] == 0


def test_objects_dropped_after_a_forked_dump_are_freed_once_the_child_is_gone(tmp_path):
    """Before 3.11 the parent keeps gc.get_objects()'s lists while the child walks; once the
    child is gone they are given back without another dump or a wait() by the program (on
    3.11+ nothing is held: the same holds at once)."""
    run(tmp_path, """
import gc, os, sys, time, weakref, heapdiff
class Big:
    pass
big = Big()
gone = weakref.ref(big)
handle = heapdiff.dump(os.path.join(sys.argv[1], "a.hds"), fork=True)
assert handle.pid is not None
del big
deadline = time.monotonic() + 60
while gone() is not None and time.monotonic() < deadline:
    time.sleep(0.02)
assert gone() is None, "the object outlived its forked dump's child"
handle.wait(60)
""")
