"""Trigger signals at interpreter shutdown never take the process down.

CPython's signal finalization (_PySignal_Fini, after the atexit hooks) resets every signal
whose handler is a Python function to SIG_DFL, and SIGUSR2's default action terminates the
process: a SIGUSR2 in the last moments of shutdown used to kill a process that had the
trigger installed (status -12 instead of its own). The exit hook now sets the trigger signal
to SIG_IGN, which the finalization leaves alone. These tests run real children and signal
them from outside while they shut down."""

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from conftest import dump_log

TIMEOUT = 60
ITERATIONS = 30

# A child that exits with status 7 and makes its shutdown wait for the parent twice:
#  - an atexit hook registered before install() (so it runs after heapdiff's exit hook)
#    says "exiting" and waits for "go": the parent signals it from then on;
#  - an object that module teardown destroys (after signal finalization) says
#    "teardown" and waits for "done": the parent has sent signals while it waited.
SHUTDOWN_CHILD = """
import atexit, os, signal, sys

def wait_for(word, read=os.read, write=os.write):
    write(1, (word + "\\n").encode())
    line = b""
    while not line.endswith(b"\\n"):
        chunk = read(0, 64)
        if not chunk:
            break
        line += chunk

atexit.register(wait_for, "exiting")

import heapdiff
heapdiff.install({directory!r}, signal=signal.SIGUSR2)

class SlowTeardown:
    def __init__(self):
        self.wait_for = wait_for  # module globals may already be gone when __del__ runs

    def __del__(self):
        self.wait_for("teardown")

keep = SlowTeardown()
os.write(1, b"ready\\n")
sys.exit(7)
"""


class Bombarder:
    """Sends SIGUSR2 to a child in a tight loop from its own thread until stopped.

    The child is waited for with WNOWAIT before stop(): its pid stays a zombie, and so
    cannot be reused by another process, for as long as signals are being sent."""

    def __init__(self, pid):
        self.pid = pid
        self.sent = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopped.is_set():
            try:
                os.kill(self.pid, signal.SIGUSR2)
            except ProcessLookupError:
                return
            self.sent += 1

    def start(self):
        self.thread.start()

    def wait_until_sent(self, n):
        while self.sent < n and self.thread.is_alive():
            self.stopped.wait(0.001)

    def stop(self):
        self.stopped.set()
        self.thread.join(TIMEOUT)


def read_word(proc):
    return proc.stdout.readline().decode().strip()


def send(proc, line):
    """Write a line to the child; a child that died meanwhile is for its status to tell."""
    try:
        proc.stdin.write(line + b"\n")
        proc.stdin.flush()
    except BrokenPipeError:
        pass


def shut_down_under_fire(tmp_path):
    """Run the child once, bombarding it from its exit hook's end to its death; returns
    (exit status, signals sent, its stderr)."""
    script = tmp_path / "child.py"
    script.write_text(SHUTDOWN_CHILD.format(directory=str(tmp_path / "snaps")))
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    bombarder = Bombarder(proc.pid)
    try:
        assert read_word(proc) == "ready"
        assert read_word(proc) == "exiting"  # heapdiff's exit hook has run
        bombarder.start()
        bombarder.wait_until_sent(200)
        send(proc, b"go")
        word = read_word(proc)  # "teardown": past signal finalization; "" if it died
        if word == "teardown":
            bombarder.wait_until_sent(bombarder.sent + 200)
            send(proc, b"done")
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    finally:
        bombarder.stop()
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        status = proc.wait(TIMEOUT)
        err = proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
    return status, bombarder.sent, err, word


def test_sigusr2_storm_during_shutdown_keeps_the_exit_status(tmp_path):
    statuses = []
    for i in range(ITERATIONS):
        run_dir = tmp_path / str(i)
        run_dir.mkdir()
        status, sent, err, word = shut_down_under_fire(run_dir)
        statuses.append(status)
        assert status == 7, "iteration %d: status %d after %d signals (%r); stderr %r" % (i, status, sent, word, err)
        assert word == "teardown" and sent >= 400
        assert err == "", err  # no dump, no message: the late signals were ignored
        assert not (run_dir / "snaps").exists()
    assert statuses == [7] * ITERATIONS


ORDER_CHILD = """
import atexit, os, signal, sys

def signal_myself(when):
    os.write(2, ("signal %s heapdiff's exit hook\\n" % when).encode())
    os.kill(os.getpid(), signal.SIGUSR2)
    for _ in range(1000):  # bytecodes, so that a Python-level handler gets to run
        pass

atexit.register(signal_myself, "after")  # registered before install(): runs after its hook
import heapdiff
heapdiff.install({directory!r}, signal=signal.SIGUSR2)
atexit.register(signal_myself, "before")  # registered after: runs first
sys.exit(7)
"""


def test_signals_before_the_exit_hook_dump_and_after_it_are_ignored(tmp_path):
    """atexit runs hooks last-registered first: a hook the program registered after
    install() runs while the trigger still dumps; one registered before runs after the
    exit hook, when the signal is ignored (before the fix it dumped a second time)."""
    code = ORDER_CHILD.format(directory=str(tmp_path / "snaps"))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 7, r.stderr
    lines = dump_log(r.stderr)
    assert len(lines) == 3, r.stderr
    assert lines[0] == "signal before heapdiff's exit hook"
    assert lines[1].startswith("heapdiff: wrote ") and lines[1].endswith("-signal.hds (SIGUSR2)")
    assert lines[2] == "signal after heapdiff's exit hook"
    assert len(os.listdir(tmp_path / "snaps")) == 1


def test_a_handler_the_program_set_after_install_is_left_at_exit(tmp_path):
    """The exit hook ignores the signal only while the handler is still heapdiff's."""
    code = """
        import atexit, os, signal, sys
        def mine(signum, frame):
            pass
        def check():  # registered first: runs last, after heapdiff's exit hook
            os.write(2, ("at the end: %%s\\n" %% (signal.getsignal(signal.SIGUSR2) is mine)).encode())
        atexit.register(check)
        import heapdiff
        heapdiff.install(%r, signal=signal.SIGUSR2)
        signal.signal(signal.SIGUSR2, mine)  # the program takes its signal back
        sys.exit(5)
    """ % str(tmp_path)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert (r.returncode, r.stderr) == (5, "at the end: True\n")
