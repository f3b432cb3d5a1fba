"""The dump signal against a server's wholesale signal set-up (heapdiff._trigger_signal),
and rotation across worker restarts: each case in a process of its own."""

import os
import subprocess
import sys
import textwrap

TIMEOUT = 120


def run(tmp_path, body):
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(body))
    env = dict(os.environ)
    env.pop("HEAPDIFF_TRIGGERS", None)
    proc = subprocess.run([sys.executable, "-W", "error", str(script), str(tmp_path)], capture_output=True, text=True,
                          timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_a_reset_to_the_default_keeps_the_dump_handler_and_says_so_once(tmp_path):
    proc = run(tmp_path, """
import os, signal, sys, heapdiff
installed = heapdiff.install(sys.argv[1], fork=False)
ours = signal.getsignal(signal.SIGUSR2)
assert signal.signal(signal.SIGUSR2, signal.SIG_DFL) == ours  # what a server's worker start does
assert signal.signal(signal.SIGUSR2, signal.SIG_DFL) == ours  # twice: one log line
assert signal.getsignal(signal.SIGUSR2) == ours
os.kill(os.getpid(), signal.SIGUSR2)  # would end the process with SIG_DFL
assert len(installed.written) == 1, installed.written
# Other signals are the program's as ever.
assert signal.signal(signal.SIGUSR1, signal.SIG_DFL) == signal.SIG_DFL
print("alive")
""")
    assert proc.stdout == "alive\n"
    notes = [l for l in proc.stderr.splitlines() if "to its default action" in l]
    assert notes == ["heapdiff: process %s set SIGUSR2 to its default action, which ends the process: heapdiff's dump "
                     "handler is set instead" % notes[0].split()[2]], proc.stderr


def test_a_handler_of_the_program_wins_and_uninstall_gives_the_signal_back(tmp_path):
    run(tmp_path, """
import signal, sys, heapdiff
heapdiff.install(sys.argv[1], fork=False)
def mine(signum, frame):
    pass
signal.signal(signal.SIGUSR2, mine)
assert signal.getsignal(signal.SIGUSR2) is mine  # the program takes its signal back
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
assert signal.getsignal(signal.SIGUSR2) == signal.SIG_IGN  # ignoring it is the program's choice too
heapdiff.install(sys.argv[1], fork=False)
heapdiff.uninstall()
assert signal.getsignal(signal.SIGUSR2) == signal.SIG_IGN  # what was there before install()
signal.signal(signal.SIGUSR2, signal.SIG_DFL)
assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL  # no guard once uninstalled
""")


def test_a_pool_terminate_handler_is_a_reset_too(tmp_path):
    """billiard (Celery's prefork pool) sets its terminate handler on every signal that
    would end the process; recognised by its module and name."""
    run(tmp_path, """
import signal, sys, types, heapdiff
heapdiff.install(sys.argv[1], fork=False)
ours = signal.getsignal(signal.SIGUSR2)
def _shutdown_cleanup(signum, frame):
    raise SystemExit(1)
_shutdown_cleanup.__module__ = "billiard.common"
signal.signal(signal.SIGUSR2, _shutdown_cleanup)
assert signal.getsignal(signal.SIGUSR2) == ours
signal.signal(signal.SIGHUP, _shutdown_cleanup)
assert signal.getsignal(signal.SIGHUP) is _shutdown_cleanup  # not heapdiff's signal: untouched
""")


def test_rotation_bounds_the_periodic_files_of_processes_that_are_gone(tmp_path):
    """Workers a server replaced leave periodic files under their own pids: the newest
    `keep` of those stay, the older go, with this process's own `keep`."""
    run(tmp_path, """
import os, subprocess, sys, time, heapdiff
directory = sys.argv[1]
dead = []
for _ in range(3):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    dead.append(p.pid)
stamps = ["20260101-0000%02d" % i for i in range(4)]
planted = []
for pid in dead:
    for stamp in stamps:
        name = os.path.join(directory, "heapdiff-%d-%s-every.hds" % (pid, stamp))
        open(name, "wb").close()
        planted.append(name)
other = os.path.join(directory, "heapdiff-%d-20260101-000000-signal.hds" % dead[0])
open(other, "wb").close()  # not a periodic file: never rotated
installed = heapdiff.install(directory, signal=None, every="100ms", keep=2, fork=False)
deadline = time.monotonic() + 60
while len(installed.written) < 4 and time.monotonic() < deadline:
    time.sleep(0.05)
heapdiff.uninstall()
left = sorted(os.listdir(directory))
mine = [n for n in left if n.startswith("heapdiff-%d-" % os.getpid())]
gone = [n for n in left if n.endswith("-every.hds") and not n.startswith("heapdiff-%d-" % os.getpid())]
assert len(mine) == 2, left
newest = sorted(planted, key=lambda p: (os.path.basename(p).split("-", 2)[2], p))[-2:]
assert sorted(gone) == sorted(os.path.basename(p) for p in newest), left
assert os.path.exists(other)
""")


def test_a_signal_during_another_dump_is_written_right_after_it(tmp_path):
    """A SIGUSR2 that comes while the watchdog writes its dump is not lost: the thread that
    held the lock writes it next (many such signals: one dump)."""
    proc = run(tmp_path, """
import os, signal, sys, threading, time, heapdiff
from heapdiff import _trigger_runtime
snaps = os.path.join(sys.argv[1], "snaps")
installed = heapdiff.install(snaps, fork=False)
real_dump = _trigger_runtime.dump
inside = threading.Event()
def slow_dump(path, **kwargs):
    if "slow" in (kwargs.get("label") or ""):
        inside.set()
        time.sleep(0.5)  # the watchdog's walk of a big heap
    return real_dump(path, **kwargs)
_trigger_runtime.dump = slow_dump
writer = threading.Thread(target=installed.dump, args=("rss", "slow"))
writer.start()
assert inside.wait(30)
for _ in range(5):
    os.kill(os.getpid(), signal.SIGUSR2)
    time.sleep(0.01)
writer.join(60)
names = sorted(os.listdir(snaps))
assert len(names) == 2 and names[0].endswith("-rss.hds") and names[1].endswith("-signal.hds"), names
""")
    lines = [l for l in proc.stderr.splitlines() if l.startswith("heapdiff: ")]
    assert lines[0] == "heapdiff: SIGUSR2: another dump is being written; this one follows it", proc.stderr
    assert lines[1].startswith("heapdiff: wrote ") and lines[1].endswith("-rss.hds (slow)"), proc.stderr
    assert lines[2].startswith("heapdiff: wrote ") and lines[2].endswith("-signal.hds (SIGUSR2)"), proc.stderr
    assert len(lines) == 3, proc.stderr
