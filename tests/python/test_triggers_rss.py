"""The RSS trigger on real growing children: under an address-space limit (MemoryError
after the snapshots are on disk) and, where a memory cgroup can be created, killed by the
kernel's OOM killer after the snapshots are on disk. Plus how limits and the environment
syntax are read."""

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import Snap, dump_log
from heapdiff import _memory, triggers

TIMEOUT = 90

GROW_UNTIL_DEATH = """
import os, sys, time
import heapdiff
from heapdiff import _memory

class Leak:
    def __init__(self):
        self.block = b"x" * (1 << 20)  # touched, so resident

{setup}
t = heapdiff.install({directory!r}, signal=None, rss={rss!r}, max_dumps={max_dumps}, min_interval=0)
os.write(2, ("threshold %d limit %d\\n" % (t.threshold, t.limit or 0)).encode())
leaks = []
try:
    for i in range({cap}):
        leaks.append(Leak())
        time.sleep(0.004)  # ~250 MiB/s: a few watchdog polls per 100 MiB
except MemoryError:
    n = len(leaks)
    del leaks[:]
    os.write(2, ("MemoryError after %d MiB\\n" % n).encode())
    sys.exit(3)
os.write(2, b"never died\\n")
"""


def grow(tmp_path, setup="", rss="50%", max_dumps=2, cap=4000, preexec_fn=None):
    script = tmp_path / "grow.py"
    script.write_text(GROW_UNTIL_DEATH.format(setup=textwrap.dedent(setup), directory=str(tmp_path / "snaps"),
                                              rss=rss, max_dumps=max_dumps, cap=cap))
    env = dict(os.environ, MALLOC_ARENA_MAX="2")
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT, env=env,
                          preexec_fn=preexec_fn)


def rss_lines(stderr):
    return [m.group(1) for m in (re.match(r"heapdiff: wrote (\S+) \(rss [^)]*\)$", l) for l in dump_log(stderr)) if m]


def test_rss_threshold_under_an_address_space_limit(tmp_path, run_cli):
    # The child cannot grow past RLIMIT_AS; its "memory limit" is a fake cgroup v2 tree
    # (HEAPDIFF_CGROUP_ROOT) of 400 MiB above where it starts, so rss="50%" means ~200 MiB.
    setup = """
        import resource
        fake = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cgroup")
        os.makedirs(fake)
        open(os.path.join(fake, "cgroup.controllers"), "w").write("memory\\n")
        open(os.path.join(fake, "memory.max"), "w").write("%d\\n" % (_memory.rss() + (400 << 20)))
        os.environ["HEAPDIFF_CGROUP_ROOT"] = fake
        vm = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (vm + (520 << 20),) * 2)
    """
    r = grow(tmp_path, setup)
    lines = r.stderr.splitlines()
    assert r.returncode == 3, r.stderr
    assert re.match(r"threshold \d+ limit \d+$", lines[0])
    threshold, limit = map(int, lines[0].split()[1::2])
    assert threshold == limit // 2
    paths = rss_lines(r.stderr)
    assert len(paths) == 2, r.stderr
    # Both snapshots were complete on disk before the allocation that failed.
    assert lines[-1].startswith("MemoryError after ") and lines[-2] == "heapdiff: rss trigger: 2 dump(s) written, no more"
    assert "of %s cgroup memory limit" % _memory.format_size(limit) in r.stderr
    first, second = (Snap(p) for p in paths)
    n1, n2 = first.type_counts()["__main__.Leak"], second.type_counts()["__main__.Leak"]
    assert 150 <= n1 < n2, (n1, n2)
    assert first.facts["label"].startswith("rss ")
    d = run_cli("diff", paths[0], paths[1], "--type", "Leak", "--no-color")
    assert d.returncode == 0, d.stderr
    assert "__main__.Leak" in d.stdout and "+%d" % (n2 - n1) in d.stdout


def _memory_cgroup(tmp_name, limit):
    """A fresh memory cgroup (v1 or v2) limited to `limit` bytes: (dir, procs file), or skip."""
    v1 = "/sys/fs/cgroup/memory"
    v2 = "/sys/fs/cgroup"
    try:
        if os.path.exists(os.path.join(v1, "memory.limit_in_bytes")):
            path = os.path.join(v1, tmp_name)
            os.mkdir(path)
            with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
                f.write(str(limit))
            if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                with open(os.path.join(path, "memory.memsw.limit_in_bytes"), "w") as f:
                    f.write(str(limit))
            return path
        with open(os.path.join(v2, "cgroup.subtree_control")) as f:
            if "memory" not in f.read().split():
                pytest.skip("the cgroup v2 root does not delegate the memory controller")
        path = os.path.join(v2, tmp_name)
        os.mkdir(path)
        for name, value in (("memory.max", str(limit)), ("memory.swap.max", "0")):
            if os.path.exists(os.path.join(path, name)):
                with open(os.path.join(path, name), "w") as f:
                    f.write(value)
        return path
    except OSError as e:
        pytest.skip("cannot create a memory cgroup here: %s" % e)


def test_snapshots_are_on_disk_before_the_oom_killer_strikes(tmp_path, run_cli):
    limit = 300 << 20
    group = _memory_cgroup("heapdiff-test-%d" % os.getpid(), limit)

    def join():
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    try:
        r = grow(tmp_path, rss="50%", max_dumps=3, preexec_fn=join)
    finally:
        try:
            os.rmdir(group)
        except OSError:
            pass
    assert r.returncode == -signal.SIGKILL, r.stderr  # death by assassination
    lines = r.stderr.splitlines()
    threshold, found_limit = map(int, lines[0].split()[1::2])
    assert found_limit == limit and threshold == limit // 2, "the cgroup limit was not found"
    paths = rss_lines(r.stderr)
    assert len(paths) >= 2, r.stderr
    assert "of 300.0 MiB cgroup memory limit" in r.stderr
    counts = [Snap(p).type_counts()["__main__.Leak"] for p in paths]
    assert counts == sorted(counts) and counts[0] >= 100, counts
    d = run_cli("diff", paths[0], paths[-1], "--type", "Leak", "--no-color")
    assert d.returncode == 0 and "+%d" % (counts[-1] - counts[0]) in d.stdout, d.stdout + d.stderr


def test_cgroup_limits_are_read_from_v2_and_v1_trees(tmp_path, monkeypatch):
    with open("/proc/self/cgroup") as f:
        entries = dict(line.rstrip("\n").split(":", 2)[1:] for line in f if line.count(":") >= 2)
    if "" not in entries:
        pytest.skip("no cgroup v2 line in /proc/self/cgroup")
    path = entries[""].strip("/")
    v2 = tmp_path / "v2"
    (v2 / path).mkdir(parents=True, exist_ok=True)
    (v2 / "cgroup.controllers").write_text("memory\n")
    (v2 / path / "memory.max").write_text("max\n")
    assert _memory.cgroup_limit(str(v2)) is None
    (v2 / "memory.max").write_text("%d\n" % (3 << 30))  # an ancestor's limit applies
    assert _memory.cgroup_limit(str(v2)) == 3 << 30
    (v2 / path / "memory.max").write_text("%d\n" % (1 << 30))
    assert _memory.cgroup_limit(str(v2)) == 1 << 30
    monkeypatch.setenv("HEAPDIFF_CGROUP_ROOT", str(v2))
    assert _memory.cgroup_limit() == 1 << 30

    memory = entries.get("memory", None)
    for key, value in entries.items():
        if "memory" in key.split(","):
            memory = value
    if memory is not None:
        v1 = tmp_path / "v1"
        (v1 / "memory" / memory.strip("/")).mkdir(parents=True, exist_ok=True)
        (v1 / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # unlimited
        assert _memory.cgroup_limit(str(v1)) is None
        (v1 / "memory" / memory.strip("/") / "memory.limit_in_bytes").write_text("%d\n" % (512 << 20))
        assert _memory.cgroup_limit(str(v1)) == 512 << 20


def test_sizes_durations_and_the_environment_syntax():
    assert _memory.parse_size("2GiB") == 2 << 30
    assert _memory.parse_size("1.5G") == 3 << 29
    assert _memory.parse_size("100MB") == 100 * 1000**2
    assert _memory.parse_size(4096) == 4096
    for bad in ("lots", "-1G", "", "5 parsecs"):
        with pytest.raises(ValueError):
            _memory.parse_size(bad)
    assert triggers._parse_seconds("500ms", "every") == 0.5
    assert triggers._parse_seconds("5m", "every") == 300
    assert triggers.parse_spec("signal=USR2, atexit,every=30s,keep=5,rss=80%,dir=/var/tmp/heap") == {
        "signal": "USR2", "at_exit": True, "every": "30s", "keep": 5, "rss": "80%", "directory": "/var/tmp/heap"}
    assert triggers.parse_spec("max-dumps=none,tracebacks=off,tracemalloc=25") == {
        "max_dumps": None, "tracebacks": False, "tracemalloc": 25}
    for bad in ("every", "keep=many", "atexit=maybe", "size=1G", "dir=a,dir=b"):
        with pytest.raises(ValueError):
            triggers.parse_spec(bad)
