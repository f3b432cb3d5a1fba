"""Every file heapdiff makes in a directory other users can write (a sticky /tmp-like
directory) goes through safe_files: an unprivileged attacker (user nobody, run with
setpriv) plants dangling symlinks under the next predictable names, and root's dump(),
periodic trigger with rotation, export, report and drawing never create or remove anything
outside, nor remove another user's file. Also: a child forked from a non-main thread with
triggers installed exits when its code does."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

import heapdiff
from conftest import cli_path

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="the attack runs as user nobody: needs root and setpriv")


# A Python that user nobody may run: the system's (pyenv's live under /root, mode 0700); the
# sid chroot has only python3.X.
ATTACKER_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/bin/python%d.%d" % sys.version_info[:2])
                        if os.access(p, os.X_OK)), "/usr/bin/python3")


def as_nobody(*argv):
    """Run argv as the unprivileged user nobody (no groups)."""
    return subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", *argv],
                          capture_output=True, text=True, timeout=60, check=True)


def plant_links(links):
    """As nobody: make each name (in the shared directory) a symlink to its target."""
    script = "import os, sys\nfor line in sys.stdin.read().splitlines():\n    link, target = line.split('\\t')\n" \
             "    os.symlink(target, link)\n"
    subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                    ATTACKER_PYTHON, "-c", script], input="".join("%s\t%s\n" % kv for kv in links.items()),
                   text=True, timeout=60, check=True)


@pytest.fixture
def shared():
    """A private sticky, world-writable directory (as /tmp is) and a root-only one beside it
    that the attacker's links point into."""
    top = tempfile.mkdtemp(prefix="heapdiff-shared-test-")
    os.chmod(top, 0o755)
    sticky = os.path.join(top, "sticky")
    victim = os.path.join(top, "victim")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    os.mkdir(victim)
    os.chmod(victim, 0o755)
    with open(os.path.join(victim, "precious"), "w") as f:
        f.write("root's own file")
    try:
        yield sticky, victim
    finally:
        shutil.rmtree(top)


def victim_untouched(victim):
    assert sorted(os.listdir(victim)) == ["precious"]
    with open(os.path.join(victim, "precious")) as f:
        assert f.read() == "root's own file"


def test_dump_never_follows_a_planted_link(shared):
    sticky, victim = shared
    plant_links({os.path.join(sticky, "snap.hds"): os.path.join(victim, "created.hds"),
                 os.path.join(sticky, "sub"): victim})
    with pytest.raises(heapdiff.DumpError, match="it exists and is a symbolic link"):
        heapdiff.dump(os.path.join(sticky, "snap.hds"))
    with pytest.raises(heapdiff.DumpError, match="sub is a symbolic link in a directory other users can write"):
        heapdiff.dump(os.path.join(sticky, "sub", "x.hds"))
    victim_untouched(victim)
    assert os.path.islink(os.path.join(sticky, "snap.hds"))  # the attacker's link is left as it was
    assert [n for n in os.listdir(sticky) if ".tmp-" in n] == []


def test_cli_outputs_never_follow_a_planted_link(shared, tmp_path):
    sticky, victim = shared
    snapshot = str(tmp_path / "s.hds")
    heapdiff.dump(snapshot)
    outputs = {"export.heapsnapshot": ["export", snapshot, "-o"], "report.html": ["report", snapshot, "-o"],
               "refs.dot": ["refs", snapshot, "--type", "dict", "-o"], "refs.svg": ["refs", snapshot, "--type", "dict", "-o"]}
    plant_links({os.path.join(sticky, name): os.path.join(victim, name) for name in outputs})
    for name, argv in outputs.items():
        r = subprocess.run([cli_path(), *argv, os.path.join(sticky, name)], capture_output=True, text=True, timeout=120)
        assert r.returncode != 0, (name, r.stdout)
        assert "symbolic link" in r.stderr, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    victim_untouched(victim)
    # Under a free name in the same directory, each is written.
    r = subprocess.run([cli_path(), "export", snapshot, "-o", os.path.join(sticky, "free.heapsnapshot")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert os.path.isfile(os.path.join(sticky, "free.heapsnapshot"))


# The root process: installs the periodic trigger (keep=2) into the shared directory once the
# test has planted its links, writes `rounds` periodic snapshots, then waits until told.
TRIGGER_CHILD = textwrap.dedent("""
    import os, sys, time
    import heapdiff
    from heapdiff import triggers
    directory, rounds = sys.argv[1], int(sys.argv[2])
    print(os.getpid(), flush=True)
    sys.stdin.readline()  # the links are planted
    t = heapdiff.install(directory, signal=None, every=0.05, keep=2)
    deadline = time.monotonic() + 60
    while len(t.written) < rounds and time.monotonic() < deadline:
        time.sleep(0.01)
    # Hold the triggers still while the parent looks and the attacker swaps: no new dump
    # (the periodic one is skipped while another holds the lock), and the last one's
    # rotation done, so the directory holds exactly the last two.
    from heapdiff import _trigger_runtime
    _trigger_runtime._dump_lock.acquire()
    while not (t.periodic_files == t.written[-2:]) and time.monotonic() < deadline:
        time.sleep(0.01)
    print("\\n".join(t.written), flush=True)
    print("", flush=True)
    sys.stdin.readline()  # the attacker has swapped files under rotation's names
    _trigger_runtime._dump_lock.release()
    n = len(t.written)
    while len(t.written) < n + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    heapdiff.uninstall()
    print("\\n".join(t.written[n:]), flush=True)
""")


def test_periodic_trigger_and_rotation_in_a_shared_directory(shared):
    sticky, victim = shared
    proc = subprocess.Popen([sys.executable, "-c", TRIGGER_CHILD, sticky, "4"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        # Every name the next seconds of periodic dumps can take (20 a second: -2 .. -30).
        links = {}
        now = time.time()
        for second in range(6):
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + second))
            base = os.path.join(sticky, "heapdiff-%d-%s-every" % (pid, stamp))
            for n in range(1, 31):
                name = base + (".hds" if n == 1 else "-%d.hds" % n)
                links[name] = os.path.join(victim, os.path.basename(name))
        plant_links(links)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        written = []
        for line in iter(proc.stdout.readline, "\n"):
            written.append(line.strip())
        assert len(written) >= 4, proc.stderr.read() if proc.poll() is not None else written
        for path in written:
            assert path not in links  # a planted name is skipped, never written through
        victim_untouched(victim)
        on_disk = [n for n in os.listdir(sticky) if not os.path.islink(os.path.join(sticky, n))]
        assert sorted(on_disk) == sorted(os.path.basename(p) for p in written[-2:])  # keep=2, nothing else

        # Rotation's next deletes: the two files on disk. The attacker cannot rename root's
        # files in a sticky directory; make the directory plain world-writable (no sticky bit)
        # so that it can, and let it put a link to a root file and a file of its own there.
        os.chmod(sticky, 0o777)
        swapped_link, swapped_file = written[-2], written[-1]
        as_nobody(ATTACKER_PYTHON, "-c", textwrap.dedent("""
            import os, sys
            link, own, target = sys.argv[1:]
            os.rename(link, link + ".moved")
            os.symlink(target, link)
            os.rename(own, own + ".moved")
            with open(own, "w") as f:
                f.write("nobody's file")
        """), swapped_link, swapped_file, os.path.join(victim, "precious"))
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        later = out.split()
        assert len(later) >= 3, err
        victim_untouched(victim)
        assert os.path.islink(swapped_link)  # rotation left the planted link (and its target)
        with open(swapped_file) as f:
            assert f.read() == "nobody's file"  # and the other user's file
        assert "rotation: left %s: it is no longer a file of this user" % swapped_link in err
        assert "can be written by other users" in err  # the trigger says how it works there
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


FORK_CHILD = textwrap.dedent("""
    import os, sys, threading, time, warnings
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() of a multi-threaded process
    import heapdiff
    heapdiff.install(sys.argv[1], signal=None, every=0.05, keep=2)

    def worker():
        pid = os.fork()
        if pid == 0:
            time.sleep(0.2)  # a watchdog re-armed here would dump (and keep the child alive)
            return  # the child's code ends here, without os._exit, as in plain CPython
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print("child exited", os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
                      else status, flush=True)
                return
            time.sleep(0.02)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("child hung", flush=True)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
""")


def test_child_forked_from_a_non_main_thread_exits(tmp_path):
    r = subprocess.run([sys.executable, "-c", FORK_CHILD, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "child exited 0", (r.stdout, r.stderr)
    assert "the periodic and rss triggers are off in process" in r.stderr  # said, not silent
    assert "Traceback" not in r.stderr


API_TEMP = textwrap.dedent("""
    import os, stat, sys
    from heapdiff import _analyzer
    mode = sys.argv[1]
    d = _analyzer._private_dir()
    print(oct(stat.S_IMODE(os.lstat(d).st_mode)), d, flush=True)
    kept = _analyzer.temp_snapshot()  # left for the exit to remove
    pid = os.fork()
    if pid == 0:  # a forked child that uses the API too and exits normally (atexit runs)
        print("child", _analyzer._private_dir(), flush=True)
        sys.exit(0)
    os.waitpid(pid, 0)
    print("after child", os.path.isdir(d), os.path.exists(kept), flush=True)
    if mode == "swap":  # the directory put away and a link to another one put in its place
        os.rename(d, d + ".moved")
        os.symlink(sys.argv[2], d)
        with open(os.path.join(sys.argv[2], os.path.basename(kept)), "w") as f:
            f.write("not heapdiff's")  # under the name the exit would remove
""")


def test_api_temp_dir_is_private_and_removed_only_by_its_maker(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", API_TEMP, "plain"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    first, child, after = r.stdout.splitlines()
    mode, made = first.split()
    assert mode == "0o700" and os.path.dirname(made) == str(tmp_path)
    assert child.split()[1] != made  # the child made its own
    assert after == "after child True True"  # the child's exit left its parent's directory alone
    assert os.listdir(tmp_path) == []  # both removed by the process that made each


def test_api_temp_dir_removal_never_follows_a_link(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", API_TEMP, "swap", str(other)], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    made = r.stdout.split()[1]
    assert os.path.islink(made)
    planted = os.listdir(other)
    assert len(planted) == 1 and (other / planted[0]).read_text() == "not heapdiff's"
    assert os.listdir(made + ".moved") == planted  # the real one, moved: not the directory it made, left
