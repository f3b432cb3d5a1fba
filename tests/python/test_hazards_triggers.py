"""install() checks every option before installing anything: a bad value raises TypeError
(wrong type) or ValueError (wrong value), installs nothing (no handler, no thread, no exit
hook, tracemalloc not started) and leaves an earlier install as it was, still dumping.
The same values through HEAPDIFF_TRIGGERS and `python -m heapdiff run`; a failure after the
checks undoes what was done; the exit hook's waits and the RSS escalation stay bounded."""

import atexit
import glob
import os
import signal
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
import tracemalloc

import pytest

import heapdiff
from heapdiff import _trigger_runtime, _trigger_signal, triggers

TIMEOUT = 60
NAN, INF = float("nan"), float("inf")

WRONG_TYPES = [
    dict(directory=3), dict(directory=None), dict(signal=2.5), dict(signal=True), dict(signal=[12]),
    dict(at_exit="yes"), dict(tracebacks="no"), dict(every=[1]), dict(every=True), dict(keep="3"),
    dict(keep=2.5), dict(keep=True), dict(max_dumps="none"), dict(min_interval=None), dict(rss=[1]),
    dict(rss=True), dict(rss=b"1G"), dict(escalate=[0.1], rss="1G"), dict(escalate=True), dict(label=3),
    dict(label=b"x"), dict(tracemalloc="10"), dict(tracemalloc=2.5), dict(tracemalloc=True),
]

WRONG_VALUES = [
    dict(directory="a\0b"),
    dict(signal=signal.SIGKILL), dict(signal=signal.SIGSTOP), dict(signal=signal.SIGSEGV),
    dict(signal=signal.SIGBUS), dict(signal=signal.SIGFPE), dict(signal=signal.SIGILL),
    dict(signal=signal.SIGABRT), dict(signal=signal.SIGTRAP), dict(signal=signal.SIGINT),
    dict(signal=signal.SIGTERM), dict(signal="KILL"), dict(signal="SIGSEGV"), dict(signal=0), dict(signal=-1),
    dict(signal=99999), dict(signal="NOPE"), dict(signal="SIG_IGN"),
    dict(every="inf"), dict(every=INF), dict(every=NAN), dict(every=0), dict(every=-1), dict(every="soon"),
    dict(every=1e300),
    dict(keep=0), dict(keep=-1), dict(max_dumps=0),
    dict(min_interval=-1), dict(min_interval="inf"),
    dict(rss="inf"), dict(rss=INF), dict(rss=NAN), dict(rss="1e400"), dict(rss=0), dict(rss=-5), dict(rss="lots"),
    dict(rss="0%"), dict(rss="150%"), dict(rss="nan%"),
    dict(escalate="inf%"), dict(escalate=INF), dict(escalate=NAN), dict(escalate=-0.1), dict(escalate="fast"),
    dict(escalate="nan"),
    dict(tracemalloc=-1), dict(tracemalloc=65536), dict(tracemalloc=10**9),
]


def case_id(kwargs):
    return ",".join("%s=%r" % kv for kv in kwargs.items())


def installed_state():
    """Everything an install can change in this process."""
    return dict(
        handlers={s: signal.getsignal(s) for s in signal.valid_signals()},
        threads=sorted(t.ident for t in threading.enumerate() if t.name == "heapdiff-triggers"),
        tracing=tracemalloc.is_tracing(),
        exit_hooks=atexit._ncallbacks(),
        active=_trigger_runtime._active,
    )


@pytest.fixture
def clean(tmp_path, monkeypatch):
    """No trigger installed, tracemalloc not tracing and no memory limit (an empty cgroup
    tree) during the test; the process as it was after it."""
    (tmp_path / "no-cgroup").mkdir()
    monkeypatch.setenv("HEAPDIFF_CGROUP_ROOT", str(tmp_path / "no-cgroup"))
    triggers.uninstall()
    frames = tracemalloc.get_traceback_limit() if tracemalloc.is_tracing() else 0
    tracemalloc.stop()
    handlers = {s: signal.getsignal(s) for s in signal.valid_signals()}
    yield
    triggers.uninstall()
    tracemalloc.stop()
    if frames:
        tracemalloc.start(frames)
    for s, h in handlers.items():
        if signal.getsignal(s) != h and s not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(s, h)


def with_side_effects(kwargs, directory):
    """kwargs plus options that start a thread and tracemalloc, unless kwargs sets them."""
    options = dict(directory=str(directory), every="1s", tracemalloc=5)
    options.update(kwargs)
    return options


@pytest.fixture
def previous(clean, tmp_path):
    """An earlier install on SIGUSR1 with a watchdog: what a bad install must leave alone."""
    first = heapdiff.install(str(tmp_path / "previous"), signal=signal.SIGUSR1, every="1h", rss="100GiB",
                             escalate="10%")
    yield first


def assert_still_dumping(first):
    """The earlier install answers its signal: a new file, from its own handler."""
    n = len(first.written)
    os.kill(os.getpid(), signal.SIGUSR1)
    # The handler runs between two bytecodes; its forked child (the default) adds the file
    # to `written` once it is done.
    deadline = time.monotonic() + 60
    while len(first.written) == n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(first.written) == n + 1 and os.path.exists(first.written[-1])


@pytest.mark.parametrize("kwargs", WRONG_TYPES, ids=case_id)
def test_wrong_type_raises_typeerror_and_installs_nothing(kwargs, clean, tmp_path):
    before = installed_state()
    with pytest.raises(TypeError, match=next(iter(kwargs))):  # the message names the option
        heapdiff.install(**with_side_effects(kwargs, tmp_path))
    assert installed_state() == before


@pytest.mark.parametrize("kwargs", WRONG_VALUES, ids=case_id)
def test_wrong_value_raises_valueerror_and_installs_nothing(kwargs, clean, tmp_path):
    before = installed_state()
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        heapdiff.install(**with_side_effects(kwargs, tmp_path))
    assert installed_state() == before
    assert not tracemalloc.is_tracing() and before["threads"] == []


def test_halfway_without_a_memory_limit_is_refused(clean, tmp_path):
    before = installed_state()
    with pytest.raises(ValueError, match="halfway"):
        heapdiff.install(str(tmp_path), rss="1GiB", escalate="halfway", every="1s", tracemalloc=5)
    assert installed_state() == before


def test_bad_values_leave_the_previous_install_working(previous, tmp_path):
    before = installed_state()
    assert before["active"] is previous and len(before["threads"]) == 1
    for kwargs in WRONG_VALUES + WRONG_TYPES:
        with pytest.raises((TypeError, ValueError)):
            heapdiff.install(**with_side_effects(kwargs, tmp_path / "new"))
        assert installed_state() == before, case_id(kwargs)
    assert previous.thread.is_alive()
    assert_still_dumping(previous)
    assert not os.path.exists(tmp_path / "new")


def test_signal_from_another_thread_is_refused_before_anything(previous, tmp_path):
    before = installed_state()
    errors = []

    def install_here():
        try:
            heapdiff.install(str(tmp_path), signal=signal.SIGUSR2, every="1s", tracemalloc=5)
        except ValueError as e:
            errors.append(e)

    worker = threading.Thread(target=install_here)
    worker.start()
    worker.join(TIMEOUT)
    assert len(errors) == 1 and "main thread" in str(errors[0])
    assert installed_state() == before


@pytest.mark.parametrize("failing_step", ["thread", "tracemalloc", "signal", "exit hook"])
def test_a_failure_after_the_checks_undoes_every_step(failing_step, previous, tmp_path, monkeypatch):
    """What can still fail once every value is good (no thread can start, no memory for
    tracemalloc, ...) is undone in reverse order; the earlier install keeps working."""
    before = installed_state()

    def refuse(*args, **kwargs):
        raise RuntimeError("refused for the test")

    target = {"thread": (threading.Thread, "start"), "tracemalloc": (tracemalloc, "start"),
              # heapdiff sets its signal through the signal.signal it found at import
              # (heapdiff._trigger_signal), never through a wrapper set since.
              "signal": (_trigger_signal, "_real_signal"), "exit hook": (atexit, "register")}[failing_step]
    monkeypatch.setattr(*target, refuse)
    with pytest.raises(RuntimeError, match="refused for the test"):
        heapdiff.install(str(tmp_path / "new"), signal=signal.SIGUSR2, every="1s", tracemalloc=5)
    monkeypatch.undo()
    after = installed_state()
    for t in threading.enumerate():  # a thread that was started is stopped
        if t.name == "heapdiff-triggers" and t.ident not in before["threads"]:
            t.join(TIMEOUT)
    after["threads"] = sorted(t.ident for t in threading.enumerate() if t.name == "heapdiff-triggers")
    assert after == before
    assert_still_dumping(previous)


def test_reinstall_on_the_same_signal_then_uninstall_restores_the_programs_handler(clean, tmp_path):
    def mine(signum, frame):
        pass

    signal.signal(signal.SIGUSR2, mine)
    first = heapdiff.install(str(tmp_path), every="1h")
    second = heapdiff.install(str(tmp_path), every="1h")
    assert signal.getsignal(signal.SIGUSR2) == second.on_signal
    first.thread.join(TIMEOUT)  # the replaced install's watchdog is stopped
    assert not first.thread.is_alive() and second.thread.is_alive()
    heapdiff.uninstall()
    assert signal.getsignal(signal.SIGUSR2) is mine
    assert installed_state()["threads"] == []


def test_escalation_by_a_huge_fraction_does_not_overflow(clean, tmp_path):
    t = heapdiff.install(str(tmp_path), signal=None, rss="100GiB", escalate=1e300)
    assert t._next_threshold(1 << 30) > sys.maxsize  # a threshold never reached, not an OverflowError


def test_exit_hook_waits_once_for_a_stuck_dump(tmp_path):
    """A watchdog dump that never ends (a hung file system) holds the dump lock: the exit
    hook waits EXIT_WAIT_SECONDS in all, then skips its own dump (it used to wait 120 s
    for the thread, then 120 s more for the lock)."""
    code = """
        import sys, threading
        import heapdiff
        from heapdiff import _trigger_runtime as triggers
        triggers.EXIT_WAIT_SECONDS = 1.0
        inside = threading.Event()
        def stuck(path, **kwargs):
            inside.set()
            threading.Event().wait()  # never returns
        triggers.dump = stuck
        heapdiff.install(%r, signal=None, every="10ms", at_exit=True)
        inside.wait(30)
        sys.exit(4)
    """ % str(tmp_path)
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 4, r.stderr
    assert r.stderr == "heapdiff: exit: skipped, another dump is being written\n"
    assert time.monotonic() - start < 20


# --- the same values through HEAPDIFF_TRIGGERS and python -m heapdiff run ------------------

REPORT = """
import signal, sys, threading, tracemalloc
print("handlers", sorted((int(s), repr(signal.getsignal(s))) for s in signal.valid_signals()))
print("threads", [t.name for t in threading.enumerate()])
print("tracing", tracemalloc.is_tracing())
print("active", "heapdiff._trigger_runtime" in sys.modules and sys.modules["heapdiff._trigger_runtime"]._active is not None)
"""

ENV_BAD = ["tracemalloc=70000,every=1s", "every=inf", "rss=inf", "signal=KILL,every=1s", "signal=SEGV",
           "every=1s,escalate=inf%,rss=1G", "rss=1e400,tracemalloc=5", "every=1s,keep=0"]


def _pth_installed():
    return any(os.path.exists(os.path.join(sysconfig.get_paths()[k], "heapdiff-triggers.pth"))
               for k in ("purelib", "platlib"))


@pytest.mark.skipif(not _pth_installed(), reason="heapdiff is not pip-installed here (no heapdiff-triggers.pth)")
@pytest.mark.parametrize("spec", ENV_BAD)
def test_bad_environment_value_installs_nothing(spec, tmp_path):
    without = {k: v for k, v in os.environ.items() if k != "HEAPDIFF_TRIGGERS"}
    plain = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True, env=without,
                           timeout=TIMEOUT)
    env = dict(without, HEAPDIFF_TRIGGERS=spec + ",dir=%s" % tmp_path)
    r = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("heapdiff: HEAPDIFF_TRIGGERS ignored, no triggers installed: ")
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stdout == plain.stdout  # the same handlers, threads and tracemalloc as without the variable
    assert "active False" in r.stdout


RUN_BAD = [["--tracemalloc", "70000"], ["--every", "inf"], ["--rss", "inf"], ["--signal", "KILL"],
           ["--signal", "SEGV"], ["--signal", "INT"], ["--escalate", "inf%", "--rss", "1G"], ["--keep", "lots"],
           ["--max-dumps", "0"], ["--min-interval=-1s"], ["--tracemalloc", "many"]]


@pytest.mark.parametrize("options", RUN_BAD, ids=" ".join)
def test_bad_run_option_is_a_usage_error_and_the_program_does_not_start(options, tmp_path):
    script = tmp_path / "never.py"
    script.write_text("print('started')\n")
    r = subprocess.run([sys.executable, "-m", "heapdiff", "run", *options, "--dir", str(tmp_path), "--",
                        str(script)], capture_output=True, text=True, timeout=TIMEOUT)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines()[-1].startswith("python -m heapdiff run: error: ") and "Traceback" not in r.stderr
    assert glob.glob(str(tmp_path / "*.hds")) == []


def test_environment_and_run_spell_options_alike():
    """One parser for both: the command line's text is HEAPDIFF_TRIGGERS's text."""
    spec = triggers.parse_spec("keep=all,max_dumps=7,every=30s,escalate=0.2,tracemalloc=3,atexit,tracebacks=off")
    assert spec == dict(keep=None, max_dumps=7, every="30s", escalate="0.2", tracemalloc=3, at_exit=True,
                        tracebacks=False)
    for name, text in (("keep", "all"), ("max_dumps", "7"), ("every", "30s"), ("tracemalloc", "3")):
        assert triggers.option_from_text(name, text) == spec[name]
    assert triggers._check_escalate("0.2") == ("grow", 0.2) == triggers._check_escalate("20%")
