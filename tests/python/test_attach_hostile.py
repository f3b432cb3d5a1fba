"""heapdiff attach run as root against a target whose user, and every other local user, is
hostile (docs/SECURITY.md): the attacks run as a real unprivileged user (nobody: real,
effective and saved ids, no groups), and the target itself runs as nobody.

What is tested is the attaching side: which files it touches, what it believes of the
target's answer, and that --timeout bounds it. None of that depends on how the stub is
queued, and a hostile target may run its request's stub whenever it likes, so the target
here does: it runs the stub of a request made for it as soon as it sees one (as the pending
call would). On CPython 3.8-3.13 a stand-in `gdb` in PATH only says it queued the call
(gdb's own inferior calls fail on some virtual machines, "Couldn't write extended state");
on 3.14+ the real sys.remote_exec queues it too (the second run finds the request taken).
The agent that runs is the real one, and heapdiff the real package unless a test puts a
hostile `heapdiff` module first on the target's sys.path."""

import glob
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest

from conftest import Snap, cli_path

NOBODY = 65534
REMOTE_EXEC = sys.version_info >= (3, 14)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the attacks need root attaching and nobody attacking")

# Becoming nobody for good (real, effective and saved ids, no groups) from inside the
# process: interpreters often live under a 0700 /root, where a shared-libpython build cannot
# even start as nobody (setpriv execs it as nobody), so a process starts as root, loads what
# it needs, then drops. Dumpable again, /proc/PID is nobody's, as for any process of nobody.
BECOME_NOBODY = textwrap.dedent("""
    import ctypes, os
    os.setgroups([])
    os.setresgid(%d, %d, %d)
    os.setresuid(%d, %d, %d)
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
""" % ((NOBODY,) * 6))

# The target: serves (a heartbeat every 10 ms) and runs the stub of any request made for
# it, once, as the pending call queued by gdb would. Before it becomes nobody it loads what
# the agent and heapdiff will import (they could not read it afterwards), and forgets
# heapdiff itself, so the agent imports it as in any target (or the hostile one first on
# sys.path, when HOSTILE is set).
TARGET = textwrap.dedent("""
    import binascii, glob, importlib.machinery, importlib.util, os, signal, sys, time, tracemalloc
    if "HOSTILE" not in os.environ:
        import heapdiff, heapdiff.triggers
        for name in [n for n in sys.modules if n == "heapdiff" or n.startswith("heapdiff.")]:
            del sys.modules[name]
    BECOME_NOBODY
    assert os.getuid() == os.geteuid() == NOBODY_UID
    beat = sys.argv[1]
    done = set()
    n = 0
    while True:
        n += 1
        with open(beat + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(beat + ".tmp", beat)
        for stub in glob.glob("/tmp/heapdiff-attach-%d-*/stub.py" % os.getpid()):
            if stub not in done:
                done.add(stub)
                try:
                    with open(stub) as f:
                        code = f.read()
                except OSError:
                    continue
                exec(code, {})
        time.sleep(0.01)
""").replace("BECOME_NOBODY", BECOME_NOBODY.strip()).replace("NOBODY_UID", str(NOBODY))

# A heapdiff module the target's user put first on its sys.path. HOSTILE (environment)
# says how it misbehaves once the agent has claimed the request.
FAKE_HEAPDIFF = textwrap.dedent("""
    import binascii, glob, os, signal, sys, time
    kind = os.environ["HOSTILE"]

    def work():
        return glob.glob("/tmp/heapdiff-attach-%d-*/work" % os.getpid())[0]

    def request():
        with open(os.path.join(work(), "request.claimed"), "rb") as f:
            return dict((k.decode(), binascii.unhexlify(v)) for k, _, v in
                        (line.partition(b"=") for line in f.read().splitlines()))

    def answer(text):
        here = work()
        with open(os.path.join(here, "hostile.tmp"), "wb") as f:
            f.write(text)
        os.replace(os.path.join(here, "hostile.tmp"), os.path.join(here, "status"))

    def fields(**f):
        return b"".join(b"%s=%s\\n" % (k.encode(), binascii.hexlify(v.encode("utf-8", "surrogateescape")))
                        for k, v in f.items())

    def wait_until_abandoned():
        # Until the attaching side has gone (it removes work/), at most 30 s.
        deadline = time.time() + 30
        here = work()
        while os.path.exists(here) and time.time() < deadline:
            time.sleep(0.02)

    if kind == "hang-import":
        while True:
            time.sleep(0.05)

    def dump(path, **kwargs):
        if kind == "hang-dump":
            while True:
                time.sleep(0.05)
        if kind == "stop":
            os.kill(os.getpid(), signal.SIGSTOP)
            raise RuntimeError("continued")  # the agent reports it to nobody: the attacher left
        asked = os.fsdecode(request()["output"])
        here = work()
        status = os.path.join(here, "status")
        os.unlink(status)
        if kind == "huge":
            answer(b"message=" + b"41" * (1 << 20) + b"\\n")
        elif kind == "control":
            answer(fields(state="error", message="boom\\n\\x1b[2J\\rheapdiff: forged line\\x07\\u202e"))
        elif kind == "elsewhere":
            answer(fields(state="done", path="/etc/passwd\\n\\x1b[31mred", pause="0.1"))
        elif kind == "bad-state":
            answer(fields(state="owned", path=asked))
        elif kind == "bad-number":
            answer(fields(state="done", path=asked, pause="nan"))
        elif kind == "snapshot-link":
            os.symlink("/etc/shadow", asked)
            answer(fields(state="done", path=asked, pause="0.1"))
        elif kind == "status-link":
            os.symlink("/etc/shadow", status)
        elif kind == "status-fifo":
            os.mkfifo(status)
        wait_until_abandoned()
        return path
""")


@pytest.fixture
def shared(tmp_path):
    """A directory nobody can use: the target's script, heartbeat and snapshots."""
    top = tempfile.mkdtemp(prefix="heapdiff-hostile-", dir="/tmp")
    os.chmod(top, 0o755)
    mine = os.path.join(top, "nobody")
    os.mkdir(mine)
    os.chown(mine, NOBODY, NOBODY)
    with open(os.path.join(top, "target.py"), "w") as f:
        f.write(TARGET)
    fake = os.path.join(top, "fake", "heapdiff")
    os.makedirs(fake)
    with open(os.path.join(fake, "__init__.py"), "w") as f:
        f.write(FAKE_HEAPDIFF)
    for d in (os.path.join(top, "fake"), fake):
        os.chmod(d, 0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def as_nobody(imports, code, *args):
    """A python running `code` as nobody, once the modules it needs are loaded."""
    return [sys.executable, "-c", imports + "\n" + BECOME_NOBODY + code, *args]


class Target:
    def __init__(self, shared, hostile=None):
        self.beat = os.path.join(shared, "nobody", "beat-%d" % id(self))
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if hostile:
            env["PYTHONPATH"] = os.path.join(shared, "fake")
            env["HOSTILE"] = hostile
        argv = [sys.executable, os.path.join(shared, "target.py"), self.beat]
        self.proc = subprocess.Popen(argv, env=env, cwd="/",
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        deadline = time.time() + 30
        while not os.path.exists(self.beat):
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.time() < deadline, "the target did not start"
            time.sleep(0.01)

    def state(self):
        with open("/proc/%d/stat" % self.pid) as f:
            return f.read().rpartition(")")[2].split()[0]

    def alive(self):
        return self.proc.poll() is None

    def keeps_serving(self):
        def beats():
            with open(self.beat) as f:
                return int(f.read() or 0)
        before = beats()
        deadline = time.time() + 20
        while time.time() < deadline and self.alive():
            if beats() > before + 5:
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGCONT)
            self.proc.kill()
        self.proc.communicate(timeout=30)


@pytest.fixture
def target(shared):
    made = []

    def start(**kwargs):
        t = Target(shared, **kwargs)
        made.append(t)
        return t

    yield start
    for t in made:
        t.stop()


@pytest.fixture
def attach(shared):
    """Runs `heapdiff attach` as root, with the stand-in gdb on 3.8-3.13."""
    env = dict(os.environ)
    if not REMOTE_EXEC:
        bin_dir = os.path.join(shared, "bin")
        os.mkdir(bin_dir)
        with open(os.path.join(bin_dir, "gdb"), "w") as f:
            f.write("#!/bin/sh\necho 'heapdiff-queued 0'\n")
        os.chmod(os.path.join(bin_dir, "gdb"), 0o755)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")

    def run(*args, timeout=60):
        exe = cli_path()
        assert exe, "the heapdiff command is not installed next to this interpreter"
        t0 = time.time()
        r = subprocess.run([exe, "attach", *map(str, args)], capture_output=True, text=True, timeout=timeout,
                           env=env, cwd="/")
        r.seconds = time.time() - t0
        return r

    return run


def one_error_line(r):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("heapdiff: "), r.stderr
    assert not [c for c in r.stderr[:-1] if ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or c == "\u202e"], r.stderr
    return lines[0]


def requests_of(pid):
    return glob.glob("/tmp/heapdiff-attach-%d-*" % pid)


def victim_directory(shared):
    """A directory of root's with files in it: what the attacks try to have root empty."""
    victim = tempfile.mkdtemp(prefix="victim-", dir=shared)
    os.chmod(victim, 0o755)
    for name in ("agent.py", "stub.py", "request", "status", "precious"):
        with open(os.path.join(victim, name), "w") as f:
            f.write("root's\n")
    os.makedirs(os.path.join(victim, "work"))
    with open(os.path.join(victim, "work", "request"), "w") as f:
        f.write("root's\n")
    return victim


def victim_intact(victim):
    names = sorted(os.listdir(victim))
    assert names == ["agent.py", "precious", "request", "status", "stub.py", "work"], names
    assert os.listdir(os.path.join(victim, "work")) == ["request"]
    return True


def snapshot_of(attach, t, shared):
    out = os.path.join(shared, "nobody", "snap-%d.hds" % time.monotonic_ns())
    r = attach(t.pid, "-o", out, "--timeout", "30")
    return r, out


def test_a_stale_request_link_planted_by_another_user_is_not_followed(target, attach, shared):
    victim = victim_directory(shared)
    link = "/tmp/heapdiff-attach-999999-planted"
    lookalike = "/tmp/heapdiff-attach-999998-nobody"
    plant = ("os.symlink(%r, %r)\n"
             "os.mkdir(%r)\n"
             "open(%r + '/agent.py', 'w').close()\n") % (victim, link, lookalike, lookalike)
    subprocess.run(as_nobody("import os", plant), check=True)
    # One of root's own, for a process that is gone: this one is heapdiff's to remove.
    ours = "/tmp/heapdiff-attach-999997-stale0"
    os.makedirs(ours + "/work")
    for name in ("agent.py", "stub.py", "work/request"):
        open(os.path.join(ours, name), "w").close()
    try:
        t = target()
        r, out = snapshot_of(attach, t, shared)
        assert r.returncode == 0, r.stderr
        assert "snapshot written to %s, " % out in r.stdout
        assert victim_intact(victim)
        assert os.path.islink(link) and os.listdir(lookalike) == ["agent.py"]  # not ours: not touched
        assert not os.path.exists(ours)
        assert requests_of(t.pid) == [] and t.keeps_serving()
    finally:
        for p in (link, lookalike, ours):
            if os.path.islink(p):
                os.unlink(p)
            elif os.path.isdir(p):
                shutil.rmtree(p)


SWAPPER = textwrap.dedent("""
    pid, victim, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    swapped = planted = 0
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(stop):
        for d in glob.glob("/tmp/heapdiff-attach-%d-*" % pid):
            if os.path.islink(d) or d.endswith(".away"):
                continue
            try:
                os.rename(d, d + ".away")
                os.symlink(victim, d)
                swapped += 1
            except OSError:
                pass
            try:  # known names in the part that is the target user's
                os.symlink(os.path.join(victim, "precious"), os.path.join(d, "work", "request.withdrawn"))
                planted += 1
            except OSError:
                pass
    print(swapped, planted)
""")


def test_the_target_user_cannot_swap_its_request_directory_for_a_link(target, attach, shared):
    victim = victim_directory(shared)
    t = target()
    stop = os.path.join(shared, "stop-swapping")
    swapper = subprocess.Popen(as_nobody("import glob, os, sys, time", SWAPPER, str(t.pid), victim, stop),
                               stdout=subprocess.PIPE, text=True)
    try:
        outcomes = []
        for _ in range(5):
            r, out = snapshot_of(attach, t, shared)
            if r.returncode == 0:
                assert os.path.getsize(out) > 0
            else:
                one_error_line(r)
            outcomes.append(r.returncode)
            assert victim_intact(victim)
    finally:
        open(stop, "w").close()
        report = swapper.communicate(timeout=30)[0]
        for left in glob.glob("/tmp/heapdiff-attach-%d-*" % t.pid):  # what a won swap would leave
            if os.path.islink(left) or left.endswith(".away"):
                subprocess.run(["rm", "-rf", "--", left], check=True)
    assert victim_intact(victim)
    assert report.split()[0] == "0", report  # the request directory was never renamed away
    assert 0 in outcomes, outcomes
    assert t.keeps_serving()
    for left in glob.glob("/tmp/heapdiff-attach-%d-*" % t.pid):  # only a rename the kernel refused
        assert not os.path.islink(left), left


@pytest.mark.parametrize("hostile, says", [
    ("hang-import", "claimed the request but its agent is stuck before the heap walk (importing heapdiff)"),
    ("hang-dump", "claimed the request and was still walking its heap"),
    ("stop", "claimed the request but is stopped"),
])
def test_timeout_bounds_an_attach_whose_target_claims_and_never_answers(target, attach, shared, hostile, says):
    t = target(hostile=hostile)
    r = attach(t.pid, "-o", os.path.join(shared, "nobody", "never.hds"), "--timeout", "2")
    line = one_error_line(r)
    assert says in line, line
    assert "--timeout 2 s expired" in line and "left the process running" in line, line
    assert r.seconds < 2 + 10, r.seconds
    assert t.alive()
    assert requests_of(t.pid) == []  # what it made is gone; nothing else was there
    if hostile == "stop":
        assert t.state() == "T"  # it did not continue what it did not stop
        os.kill(t.pid, signal.SIGCONT)
        assert t.keeps_serving()  # the agent's late report goes nowhere and harms nothing


def test_a_stopped_target_is_refused_and_left_stopped(target, attach, shared):
    t = target()
    os.kill(t.pid, signal.SIGSTOP)
    deadline = time.time() + 10
    while t.state() != "T":
        assert time.time() < deadline
        time.sleep(0.01)
    r = attach(t.pid, "-o", os.path.join(shared, "nobody", "x.hds"), "--timeout", "2")
    line = one_error_line(r)
    assert "is stopped" in line and "kill -CONT %d" % t.pid in line, line
    assert r.seconds < 10 and requests_of(t.pid) == [] and t.state() == "T"
    os.kill(t.pid, signal.SIGCONT)
    assert t.keeps_serving()


@pytest.mark.parametrize("hostile, says", [
    ("huge", "holds more than 65536 bytes"),
    ("control", "boom\\n\\x1b[2J\\rheapdiff: forged line\\x07\\u202e"),
    ("elsewhere", "reported a snapshot at /etc/passwd\\n\\x1b[31mred, not at"),
    ("bad-state", "unknown state 'owned'"),
    ("bad-number", "not a number"),
    ("snapshot-link", "but what is there is a symbolic link"),
    ("status-link", "symbolic link"),
    ("status-fifo", "not a regular file"),
])
def test_a_hostile_status_is_bounded_validated_and_escaped(target, attach, shared, hostile, says):
    t = target(hostile=hostile)
    out = os.path.join(shared, "nobody", "asked.hds")
    # A deadline far above the time the answer takes, even on a loaded machine (gdb's inferior
    # call once took over 20 s with four builds sharing two cores): the check is that the
    # answer is refused on sight, well before it.
    r = attach(t.pid, "-o", out, "--timeout", "90", timeout=120)
    line = one_error_line(r)
    assert says in line, line
    assert r.seconds < 60, r.seconds  # refused on sight, not at the deadline
    assert r.stdout == ""
    assert t.alive() and requests_of(t.pid) == []
    if hostile == "snapshot-link":
        assert os.path.islink(out)  # reported as what it is, left as it is


def test_an_honest_nobody_target_gets_a_checked_snapshot(target, attach, shared):
    t = target()
    r, out = snapshot_of(attach, t, shared)
    assert r.returncode == 0, r.stderr
    assert "snapshot written to %s, " % out in r.stdout
    st = os.lstat(out)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == NOBODY
    assert Snap(out).facts["pid"] == t.pid
    assert requests_of(t.pid) == [] and t.keeps_serving()


def test_install_in_a_nobody_target_reports_its_directory(target, attach, shared):
    t = target()
    dumps = os.path.join(shared, "nobody", "dumps")
    spec = "rss=99%%,signal=none,dir=%s" % dumps
    r = attach(t.pid, "--install", spec, "--timeout", "30")
    assert r.returncode == 0, r.stderr
    assert "dump triggers installed (%s); snapshots go to %s" % (spec, dumps) in r.stdout, r.stdout
    assert requests_of(t.pid) == [] and t.keeps_serving()
