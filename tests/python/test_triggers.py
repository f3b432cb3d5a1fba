"""Dump triggers on real child processes: a signal, exit, a periodic run keeping the last K,
python -m heapdiff run, HEAPDIFF_TRIGGERS through the installed .pth, an unwritable
directory, signals arriving during dumps, a forked child. The RSS trigger is in
test_triggers_rss.py."""

import glob
import json
import os
import queue
import re
import signal
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time

import pytest

from conftest import Snap, WROTE_TAIL, dump_log

TIMEOUT = 60  # generous: CI runs six interpreters on a loaded 2-core machine

# A child that grows on command: "grow N" adds N Leak objects and answers "ok N" once done.
GROWER = """
import os, signal, sys, time
import heapdiff

class Leak:
    def __init__(self):
        self.payload = bytearray(512)

leaks = []
heapdiff.install(**{kwargs})
print("ready", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "grow":
        leaks.extend(Leak() for _ in range(int(arg)))
    elif cmd == "exit":
        sys.exit(int(arg))
    print("ok", cmd, arg, flush=True)
"""


class Child:
    """A Python child process whose stdout and stderr lines are read by threads."""

    def __init__(self, args, env=None, cwd=None):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd=cwd, bufsize=1)
        self.out, self.err = queue.Queue(), queue.Queue()
        self.out_lines, self.err_lines = [], []
        for stream, q, lines in ((self.proc.stdout, self.out, self.out_lines),
                                 (self.proc.stderr, self.err, self.err_lines)):
            threading.Thread(target=self._pump, args=(stream, q, lines), daemon=True).start()

    @staticmethod
    def _pump(stream, q, lines):
        for line in stream:
            lines.append(line.rstrip("\n"))
            q.put(line.rstrip("\n"))
        q.put(None)

    def expect(self, q, pattern, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError("no line matching %r; stdout=%r stderr=%r" % (
                    pattern, self.out_lines[-10:], self.err_lines[-10:]))
            m = re.search(pattern, line)
            if m:
                return m

    def stdout(self, pattern):
        return self.expect(self.out, pattern)

    def stderr(self, pattern):
        return self.expect(self.err, pattern)

    def signal(self, signum):
        """Send `signum` once the child's main thread is blocked reading stdin. A signal
        that lands after the child's last bytecode check and before its read() starts is
        handled only when that read returns (CPython runs Python-level handlers on the main
        thread, between bytecodes): it would wait for the next line. docs/TRIGGERS.md."""
        wait_in_read(self.proc.pid)
        self.proc.send_signal(signum)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        rc = self.proc.wait(timeout=TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        time.sleep(0.05)  # let the pump threads drain
        return rc


# The read() system call's number, as /proc/PID/syscall shows a thread blocked in it.
READ_SYSCALL = {"x86_64": "0", "aarch64": "63", "i686": "3", "armv7l": "3"}.get(os.uname().machine)


def wait_in_read(pid, timeout=TIMEOUT):
    """Until the process's main thread sleeps in read() (or, where the syscall table is not
    known here, a moment)."""
    if READ_SYSCALL is None:
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/syscall" % pid) as f:
                if f.read().split(" ", 1)[0] == READ_SYSCALL:
                    return
        except OSError:
            return  # gone, or not readable: sending is all that is left
        time.sleep(0.005)
    raise AssertionError("process %d never blocked in read()" % pid)


def grower(tmp_path, **kwargs):
    script = tmp_path / "grower.py"
    script.write_text(GROWER.replace("{kwargs}", repr(kwargs)))
    child = Child([sys.executable, str(script)])
    child.stdout("^ready$")
    return child


def written(child):
    return [m.group(1) for m in (re.match(r"heapdiff: wrote (\S+) \(", l) for l in child.err_lines) if m]


def run_py(code, *args, env=None, cwd=None, timeout=TIMEOUT):
    return subprocess.run([sys.executable, *args] + (["-c", textwrap.dedent(code)] if code else []),
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def test_two_signals_give_two_snapshots_showing_the_growth(tmp_path, run_cli):
    child = grower(tmp_path, directory=str(tmp_path / "snaps"))
    child.send("grow 1000")
    child.stdout("ok grow")
    child.signal(signal.SIGUSR2)
    first = child.stderr(r"^heapdiff: wrote (\S+) \(SIGUSR2\)" + WROTE_TAIL).group(1)
    child.send("grow 3000")
    child.stdout("ok grow")
    child.signal(signal.SIGUSR2)
    second = child.stderr(r"^heapdiff: wrote (\S+) \(SIGUSR2\)" + WROTE_TAIL).group(1)
    child.send("exit 0")
    assert child.finish() == 0
    pid = child.proc.pid
    for path in (first, second):
        assert re.fullmatch(r"heapdiff-%d-\d{8}-\d{6}-signal(-\d+)?\.hds" % pid, os.path.basename(path))
        assert os.path.dirname(path) == str(tmp_path / "snaps")
    assert sorted(os.listdir(tmp_path / "snaps")) == sorted(os.path.basename(p) for p in (first, second))
    assert Snap(first).type_counts()["__main__.Leak"] == 1000
    r = run_cli("diff", first, second, "--json")
    assert r.returncode == 0, r.stderr
    rows = {g["key"]: g for g in json.loads(r.stdout)["groups"]}
    assert (rows["__main__.Leak"]["count"], rows["__main__.Leak"]["count_diff"]) == (4000, 3000)
    r = run_cli("summary", second)
    assert "SIGUSR2" in r.stdout  # the label says why


def test_at_exit_dump_keeps_the_exit_status(tmp_path):
    child = grower(tmp_path, directory=str(tmp_path), signal=None, at_exit=True, label="nightly")
    child.send("grow 500")
    child.stdout("ok grow")
    child.send("exit 7")
    assert child.finish() == 7
    (path,) = written(child)
    assert path.endswith("-exit.hds")
    snap = Snap(path)
    assert snap.type_counts()["__main__.Leak"] == 500
    assert snap.facts["label"] == "nightly: exit"


def test_periodic_run_keeps_the_last_k(tmp_path):
    child = grower(tmp_path, directory=str(tmp_path / "p"), signal=None, every="0.15s", keep=2)
    for i in range(6):
        child.send("grow 100")
        child.stdout("ok grow")
        child.stderr(r"^heapdiff: wrote \S+ \(every 150ms\)" + WROTE_TAIL)
    child.send("exit 0")
    assert child.finish() == 0
    paths = written(child)
    assert len(paths) >= 6
    assert all(p.endswith(("-every.hds",)) or re.search(r"-every-\d+\.hds$", p) for p in paths)
    kept = sorted(os.path.join(tmp_path / "p", f) for f in os.listdir(tmp_path / "p"))
    assert sorted(kept) == sorted(paths[-2:])
    counts = [Snap(p).type_counts()["__main__.Leak"] for p in paths[-2:]]
    assert counts[0] <= counts[1] <= 600 and counts[1] >= 500


def test_python_m_heapdiff_run_script(tmp_path):
    script = tmp_path / "app" / "job.py"
    script.parent.mkdir()
    script.write_text(textwrap.dedent("""
        import os, signal, sys
        print("argv", sys.argv[1:], os.path.basename(sys.argv[0]), sys.path[0] == os.path.dirname(os.path.abspath(__file__)), __name__)
        blobs = [bytearray(100) for _ in range(1000)]
        os.kill(os.getpid(), signal.SIGUSR2)
        sys.exit(5)
    """))
    r = subprocess.run([sys.executable, "-m", "heapdiff", "run", "--dir", str(tmp_path / "s"), "--at-exit",
                        "--", str(script), "a", "--b"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 5, r.stderr
    assert r.stdout.strip() == "argv ['a', '--b'] job.py True __main__"
    lines = dump_log(r.stderr)
    assert len(lines) == 2, r.stderr
    assert re.match(r"heapdiff: wrote \S+-signal\.hds \(SIGUSR2\)$", lines[0])
    assert re.match(r"heapdiff: wrote \S+-exit\.hds \(exit\)$", lines[1])
    assert len(os.listdir(tmp_path / "s")) == 2

    (tmp_path / "mod_job.py").write_text("import sys\nprint('module', sys.argv[1:], __name__)\n")
    r = subprocess.run([sys.executable, "-m", "heapdiff", "run", "--signal", "none", "-m", "mod_job", "x"],
                       capture_output=True, text=True, timeout=TIMEOUT, cwd=str(tmp_path))
    assert (r.returncode, r.stdout, r.stderr) == (0, "module ['x'] __main__\n", "")

    r = subprocess.run([sys.executable, "-m", "heapdiff", "run", "--every", "soon", "--", str(script)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "every" in r.stderr and "Traceback" not in r.stderr


def _pth_installed():
    for key in ("purelib", "platlib"):
        if os.path.exists(os.path.join(sysconfig.get_paths()[key], "heapdiff-triggers.pth")):
            return True
    return False


@pytest.mark.skipif(not _pth_installed(), reason="heapdiff is not pip-installed here (no heapdiff-triggers.pth)")
def test_environment_variable_through_the_pth(tmp_path):
    code = """
        import os, signal, sys
        print("imported" if "heapdiff" in sys.modules else "not imported", flush=True)  # SIGUSR2 may kill it next
        os.kill(os.getpid(), signal.SIGUSR2)
    """
    env = dict(os.environ, HEAPDIFF_TRIGGERS="signal=USR2, atexit, dir=%s, label=from-env" % (tmp_path / "e"))
    r = run_py(code, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "imported\n"
    assert [l.split("(")[-1] for l in dump_log(r.stderr)] == ["SIGUSR2)", "exit)"], r.stderr
    (signal_snap,) = glob.glob(str(tmp_path / "e" / "*-signal.hds"))
    assert Snap(signal_snap).facts["label"] == "from-env: SIGUSR2"

    env = {k: v for k, v in os.environ.items() if k != "HEAPDIFF_TRIGGERS"}
    r = run_py(code, env=env)  # not set: heapdiff is not even imported, SIGUSR2 kills as usual
    assert r.stdout == "not imported\n" and r.returncode == -signal.SIGUSR2

    for bad in ("every=soon", "rss=lots", "frobnicate", "keep=-1,dir=%s" % tmp_path):
        r = run_py("print('still running')", env=dict(os.environ, HEAPDIFF_TRIGGERS=bad))
        assert r.returncode == 0 and r.stdout == "still running\n"
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("heapdiff: HEAPDIFF_TRIGGERS ignored"), r.stderr


def test_unwritable_directory_logs_one_line_and_continues(tmp_path):
    (tmp_path / "blocker").write_text("a file where the directory should be")
    child = grower(tmp_path, directory=str(tmp_path / "blocker" / "snaps"), at_exit=True)
    for _ in range(2):
        child.signal(signal.SIGUSR2)
        child.stderr(r"^heapdiff: could not write .*\(SIGUSR2\): ")
    child.send("grow 10")
    child.stdout("ok grow 10")
    child.send("exit 0")
    assert child.finish() == 0
    assert len(child.err_lines) == 3, child.err_lines
    assert child.err_lines[2].startswith("heapdiff: could not write ") and "(exit)" in child.err_lines[2]
    if os.geteuid() != 0:  # root writes anywhere; others get a real read-only directory
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        r = run_py("import heapdiff, os, signal; heapdiff.install(%r); os.kill(os.getpid(), signal.SIGUSR2); "
                   "print('alive')" % str(ro))
        assert r.returncode == 0 and r.stdout == "alive\n" and len(r.stderr.splitlines()) == 1, r.stderr
        assert "could not write" in r.stderr and os.listdir(ro) == []


def test_signals_during_dumps_with_threads_and_shutdown(tmp_path):
    """A storm of SIGUSR2 while the watchdog dumps every 20 ms and a thread allocates: the
    process neither crashes nor deadlocks, keeps its exit status, and every file loads."""
    code = """
        import sys, threading, time
        import heapdiff
        heap = [dict(a=i, b=str(i)) for i in range(100000)]
        stop = False
        def churn():
            while not stop:
                junk = [object() for _ in range(1000)]
        t = threading.Thread(target=churn, daemon=True)
        t.start()
        heapdiff.install(%r, every="20ms", keep=3, at_exit=True)
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "done":
                break
        sys.exit(3)  # while the churn thread runs and dumps are due
    """ % str(tmp_path / "storm")
    child = Child([sys.executable, "-c", textwrap.dedent(code)])
    child.stdout("^ready$")
    for _ in range(60):
        child.proc.send_signal(signal.SIGUSR2)
        time.sleep(0.005)
    child.stderr(r"\(SIGUSR2\)" + WROTE_TAIL)
    child.send("done")
    assert child.finish() == 3
    assert not any("Traceback" in l or "Error" in l for l in child.err_lines), child.err_lines
    assert all(re.match(r"heapdiff: (wrote \S+ \(|.+: skipped, another dump is being written$|"
                        r"SIGUSR2: another dump is being written; this one follows it$)", l)
               for l in dump_log(child.err_lines)), child.err_lines
    for path in glob.glob(str(tmp_path / "storm" / "*.hds")):
        assert len(Snap(path)) > 100000
    assert not glob.glob(str(tmp_path / "storm" / ".*")), "a temporary file was left behind"


def test_forked_child_rearms_its_triggers(tmp_path):
    code = """
        import os, sys, time
        import heapdiff
        heapdiff.install(%r, every="0.1s", keep=None)
        pid = os.fork()
        if pid == 0:
            grown = [bytearray(64) for _ in range(5000)]
            deadline = time.monotonic() + 30
            while len(heapdiff._trigger_runtime._active.written) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(pid, status, flush=True)
        heapdiff.uninstall()
    """ % str(tmp_path / "f")
    r = run_py(code, "-W", "ignore::DeprecationWarning")  # 3.12+: fork() with a thread running
    assert r.returncode == 0, r.stderr
    pid, status = map(int, r.stdout.split())
    assert status == 0
    child_files = glob.glob(str(tmp_path / "f" / ("heapdiff-%d-*-every*.hds" % pid)))
    assert len(child_files) >= 2, r.stderr
    assert Snap(sorted(child_files)[-1]).type_counts()["builtins.bytearray"] >= 5000
    assert "Traceback" not in r.stderr
