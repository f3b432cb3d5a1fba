"""heapdiff attach PID: real services that never import heapdiff, attached to by the
installed command (gdb on CPython 3.8-3.13, sys.remote_exec on 3.14+), and every refusal
as one line with the target left running."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import Snap, cli_path

REMOTE_EXEC = sys.version_info >= (3, 14)
WIDGETS = 4321

# A service: builds WIDGETS objects of its own class, then serves (a heartbeat file
# rewritten every 10 ms) until killed. It never imports heapdiff. Optional behaviours,
# chosen by argv[2]: "grow" allocates 200 MiB when a file "grow" appears beside the
# heartbeat; "block:S" sleeps S seconds in C before serving; "exit:S" is killed by SIGALRM
# (its default action) S seconds into a sleep in C, so no Python code runs after the call.
SERVICE = textwrap.dedent("""
    import os, sys, time
    assert "heapdiff" not in sys.modules
    class Widget:
        def __init__(self, n):
            self.n = n
    keep = [Widget(n) for n in range(%d)]
    beat, mode = sys.argv[1], sys.argv[2]
    def heartbeat(n):
        with open(beat + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(beat + ".tmp", beat)
    heartbeat(0)
    if mode.startswith("block:"):
        time.sleep(float(mode[6:]))
    if mode.startswith("exit:"):
        import signal
        signal.setitimer(signal.ITIMER_REAL, float(mode[5:]))
        time.sleep(60)
    grown = []
    n = 0
    while True:
        n += 1
        heartbeat(n)
        if mode == "grow" and not grown and os.path.exists(os.path.join(os.path.dirname(beat), "grow")):
            grown.append(b"x" * (200 << 20))
        time.sleep(0.01)
""" % WIDGETS)


class Service:
    def __init__(self, tmp_path, mode="serve", python_args=(), env=None):
        self.dir = tmp_path
        script = tmp_path / "service.py"
        script.write_text(SERVICE)
        self.beat = str(tmp_path / "beat")
        self.proc = subprocess.Popen([sys.executable, *python_args, str(script), self.beat, mode],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.pid = self.proc.pid
        deadline = time.time() + 30
        while not os.path.exists(self.beat):
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.time() < deadline, "the service did not start"
            time.sleep(0.01)

    def beats(self):
        with open(self.beat) as f:
            return int(f.read() or 0)

    def keeps_serving(self):
        """The heartbeat still advances (the service is alive and its loop runs)."""
        before = self.beats()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if self.beats() > before + 5:
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.communicate(timeout=30)


@pytest.fixture
def service(tmp_path):
    made = []

    def start(mode="serve", **kwargs):
        d = tmp_path / ("service%d" % len(made))
        d.mkdir()
        s = Service(d, mode, **kwargs)
        made.append(s)
        return s

    yield start
    for s in made:
        s.stop()


def attach(*args, cwd=None, env=None, timeout=120):
    exe = cli_path()
    assert exe, "the heapdiff command is not installed next to this interpreter"
    return subprocess.run([exe, "attach", *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env)


def one_error_line(r):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("heapdiff: "), r.stderr
    return lines[0]


def request_dirs(pid):
    return glob.glob("/tmp/heapdiff-attach-%d-*" % pid)


def widgets(snap):
    return snap.type_counts()["__main__.Widget"]


def test_snapshot_of_a_service_that_never_imported_heapdiff(service, tmp_path):
    s = service()
    out = tmp_path / "service.hds"
    r = attach(s.pid, "-o", out, "--label", "from outside")
    assert r.returncode == 0, r.stderr
    method = "sys.remote_exec" if REMOTE_EXEC else "gdb"
    assert re.search(r"^attached to process %d \(.*, CPython %d\.%d\.\d+\) with %s$"
                     % (s.pid, sys.version_info[0], sys.version_info[1], re.escape(method)), r.stdout, re.M), r.stdout
    assert "snapshot written to %s, " % out in r.stdout
    assert re.search(r"the process was paused \d+ ms while its probe ran", r.stdout), r.stdout
    assert ("stopped" in r.stdout) != REMOTE_EXEC  # only gdb stops the whole process
    snap = Snap(out)
    assert widgets(snap) == WIDGETS
    assert snap.facts["label"] == "from outside"
    assert snap.facts["pid"] == s.pid
    assert s.keeps_serving()
    assert request_dirs(s.pid) == []  # the request directory is gone
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_a_target_without_heapdiff_uses_the_attaching_package(service, tmp_path):
    # -S: no site-packages, so the target cannot import heapdiff from its environment;
    # the agent loads the package beside the heapdiff command (same version, same ABI).
    s = service(python_args=("-S",))
    out = tmp_path / "nosite.hds"
    r = attach(s.pid, "-o", out)
    assert r.returncode == 0, r.stderr
    assert widgets(Snap(out)) == WIDGETS
    assert s.keeps_serving()


def test_default_name_in_the_current_directory_and_a_second_attach(service, tmp_path):
    s = service()
    work = tmp_path / "here"
    work.mkdir()
    for _ in range(2):
        r = attach(s.pid, "--timeout", "30", cwd=work)
        assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(work))
    assert names and all(re.fullmatch(r"heapdiff-%d-\d{8}-\d{6}-attach\.hds" % s.pid, n) for n in names), names
    snap = Snap(work / names[-1])
    assert snap.facts["label"] == "attach"
    assert widgets(snap) == WIDGETS
    assert s.keeps_serving()


def test_install_arms_an_rss_trigger_that_fires_later(service, tmp_path):
    s = service("grow")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    rss = int(open("/proc/%d/statm" % s.pid).read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    spec = "rss=%d,signal=none,min_interval=0,dir=dumps" % (rss + (100 << 20))
    r = attach(s.pid, "--install", spec, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "dump triggers installed (%s); snapshots go to %s" % (spec, tmp_path / "dumps") in r.stdout
    assert os.listdir(dumps) == []  # armed, not fired: the service is still below the threshold
    (s.dir / "grow").write_text("")
    deadline = time.time() + 60
    while not [n for n in os.listdir(dumps) if n.endswith("-rss.hds")]:
        assert time.time() < deadline, "the rss trigger did not fire"
        assert s.proc.poll() is None
        time.sleep(0.1)
    name = [n for n in os.listdir(dumps) if n.endswith("-rss.hds")][0]
    assert widgets(Snap(dumps / name)) == WIDGETS
    assert s.keeps_serving()


def test_no_such_process(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert one_error_line(attach(gone.pid, "-o", tmp_path / "x.hds")) == "heapdiff: no process with pid %d" % gone.pid
    assert not (tmp_path / "x.hds").exists()


def test_not_a_python_process(tmp_path):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        line = one_error_line(attach(sleeper.pid, "-o", tmp_path / "x.hds"))
        assert line.startswith("heapdiff: process %d (sleep) is not a Python process" % sleeper.pid), line
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_unsupported_python_version(tmp_path):
    old = [p for p in glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python"))
           if re.search(r"/(2\.\d+|3\.[0-7])\.\d+/", p)]
    if not old:
        pytest.skip("no CPython older than 3.8 on this machine")
    target = subprocess.Popen([old[0], "-c", "import time\nwhile True: time.sleep(0.01)"])
    try:
        time.sleep(0.3)
        line = one_error_line(attach(target.pid, "-o", tmp_path / "x.hds"))
        assert "heapdiff supports CPython 3.8 to 3.15" in line, line
        assert target.poll() is None
    finally:
        target.kill()
        target.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the attaching side as another user")
def test_no_permission_names_the_owner(service, tmp_path):
    s = service()
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed"
    exe = cli_path()
    r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", exe, "attach", str(s.pid),
                        "-o", "/tmp/never.hds"], capture_output=True, text=True, timeout=60, cwd="/")
    line = one_error_line(r)
    assert line.startswith("heapdiff: no permission to attach to process %d" % s.pid), line
    assert "belongs to root" in line, line
    assert s.keeps_serving() and not os.path.exists("/tmp/never.hds")


def test_busy_target_times_out_and_is_left_as_it_was(service, tmp_path):
    # The main thread is in C (time.sleep) for 8 s: the request cannot run before then.
    # (--timeout counts from the request being queued, after gdb's own time.)
    s = service("block:8")
    out = tmp_path / "late.hds"
    t0 = time.time()
    line = one_error_line(attach(s.pid, "-o", out, "--timeout", "1"))
    assert "did not reach a point where Python code can run within 1 s" in line, line
    assert "withdrawn" in line and time.time() - t0 < 30
    # The attacher removed what it made, but for stub.py on 3.14+ (sys.remote_exec still
    # opens it when the sleep ends; without agent.py it does nothing).
    assert s.keeps_serving()
    left = request_dirs(s.pid)
    assert [sorted(os.listdir(d)) for d in left] == ([["stub.py"]] if REMOTE_EXEC else []), left
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith("late")]


def test_target_exiting_before_a_safe_point(service, tmp_path):
    s = service("exit:3")
    line = one_error_line(attach(s.pid, "-o", tmp_path / "gone.hds", "--timeout", "30"))
    # Usually after the request is queued; on a loaded machine gdb may still be attaching.
    assert re.match(r"heapdiff: process %d \(.*\) exited (before reaching a safe point|while gdb was attaching); "
                    r"nothing was written$" % s.pid, line), line
    assert not (tmp_path / "gone.hds").exists()


def test_bad_output_directory_is_refused_before_touching_the_target(service, tmp_path):
    s = service()
    line = one_error_line(attach(s.pid, "-o", tmp_path / "no" / "such" / "x.hds"))
    assert line == "heapdiff: no directory %s to write the snapshot in" % (tmp_path / "no" / "such"), line
    assert request_dirs(s.pid) == [] and s.keeps_serving()


def test_bad_install_spec_is_one_line_and_installs_nothing(service, tmp_path):
    s = service()
    line = one_error_line(attach(s.pid, "--install", "rss=80%,colour=blue", cwd=tmp_path))
    assert "unknown item 'colour=blue'" in line, line
    assert s.keeps_serving()
    usage = attach(s.pid, "--install", "rss=80%", "-o", tmp_path / "x.hds")
    assert usage.returncode == 2 and "excludes" in usage.stderr, usage.stderr


@pytest.mark.skipif(REMOTE_EXEC, reason="CPython 3.14+ attaches with sys.remote_exec, without gdb")
def test_gdb_missing(service, tmp_path):
    s = service()
    empty = tmp_path / "empty-path"
    empty.mkdir()
    line = one_error_line(attach(s.pid, "-o", tmp_path / "x.hds", env=dict(os.environ, PATH=str(empty))))
    assert "needs gdb, which is not installed (apt-get install gdb)" in line, line
    assert s.keeps_serving() and request_dirs(s.pid) == []


@pytest.mark.skipif(not REMOTE_EXEC, reason="remote debugging (PEP 768) exists on CPython 3.14+")
@pytest.mark.parametrize("how", ["env", "option"])
def test_remote_debugging_disabled(service, tmp_path, how):
    if how == "env":
        s = service(env=dict(os.environ, PYTHON_DISABLE_REMOTE_DEBUG="1"))
    else:
        s = service(python_args=("-X", "disable_remote_debug"))
    line = one_error_line(attach(s.pid, "-o", tmp_path / "x.hds"))
    assert "remote debugging is disabled in process %d" % s.pid in line, line
    assert ("PYTHON_DISABLE_REMOTE_DEBUG" if how == "env" else "-X disable_remote_debug") in line
    assert s.keeps_serving() and request_dirs(s.pid) == []


@pytest.mark.parametrize("pid", ["abc", "-5", "0", "99999999999", "12x"])
def test_a_pid_that_is_not_one_is_a_usage_error(pid):
    r = attach("--", pid)
    assert r.returncode == 2 and r.stderr == "heapdiff: pid: '%s' is not a process id (see heapdiff --help)\n" % pid, r.stderr
