"""The installed triggers at work: the signal handler, the watchdog thread (periodic and
RSS dumps, rotation), the exit hook, fork handling, and install()/uninstall() that set
them up and take them down.
"""

import atexit
import os
import re
import signal as _signal
import sys
import threading
import time

from heapdiff import DumpError, _memory, _probe, dump
from heapdiff._trigger_fork import why_not_fork
from heapdiff._rss_plan import next_threshold
from heapdiff._trigger_options import Config, signal_name
from heapdiff._trigger_signal import guard as _guard_signal
from heapdiff._trigger_signal import set_handler as _set_handler
from heapdiff._trigger_signal import unguard as _unguard_signal

# How often the watchdog reads the RSS (seconds). Reading /proc/self/statm takes a few
# microseconds; a process must grow from the threshold to its limit faster than this
# plus one dump to slip through.
POLL_SECONDS = 0.1

# How long the exit hook waits, in all, for the watchdog to finish a dump it is writing
# (and that dump's rotation) and then for the lock to write its own exit dump.
EXIT_WAIT_SECONDS = 120.0

# One dump at a time across the signal handler, the watchdog thread and the exit hook.
# Only ever acquired without blocking (or with a timeout at exit): the signal handler
# runs on the main thread between two bytecodes, possibly while that same thread holds it.
_dump_lock = threading.Lock()
_active = None  # the installed _Triggers, or None


def log(message):
    """One line on stderr, written with os.write: print() from a signal handler can
    re-enter a BufferedWriter the main thread is in the middle of, and sys.stderr may
    be gone at exit."""
    try:
        os.write(2, ("heapdiff: " + message + "\n").encode("utf-8", "replace"))
    except Exception:
        pass


# --- the installed triggers -------------------------------------------------------------


class _Triggers:
    """One installed configuration, its signal handler and its watchdog thread."""

    def __init__(self, config):
        self.config = config
        self.directory = config.directory
        self.signum = config.signum
        self.at_exit = config.at_exit
        self.every = config.every
        self.keep = config.keep
        self.max_dumps = config.max_dumps
        self.min_interval = config.min_interval
        self.label = config.label
        self.tracebacks = config.tracebacks
        self.fork = config.fork
        self.child = None  # the thread waiting for the last forked dump's child
        plan = config.rss
        self.threshold = self.first_threshold = None if plan is None else plan.threshold
        self.limit = None if plan is None else plan.limit  # what "halfway" escalates towards
        self.limit_source = None if plan is None else plan.limit_source
        self.escalation = None if plan is None else plan.escalation
        self.previous_handler = None  # the program's handler for signum before heapdiff's
        self.exiting = False  # the exit hook has run: signals are ignored from then on
        self.skipped = False  # whether the last dump() was skipped for another one
        self.pending_signal = None  # a signal's detail, when it came during another dump
        self.written = []  # paths this process wrote, oldest first
        self.name_uses = {}  # reason: the stem of its last file name and that name's -N suffix
        self.periodic_files = []  # the periodic ones still on disk, oldest first
        self.stop = threading.Event()
        self.thread = None
        self.shared_noted = False  # the note about a directory others can write was logged

    def start_watchdog(self):
        """Reset the counters and start the watchdog (at install, and in a forked child)."""
        self.rss_dumps = 0
        self.last_rss_dump = None
        self.threshold = self.first_threshold
        self.stop = threading.Event()
        self.thread = None
        if self.every is not None or self.threshold is not None:
            thread = threading.Thread(target=self._watch, name="heapdiff-triggers", daemon=True)
            thread.start()
            self.thread = thread

    # --- dumping ---------------------------------------------------------------------------

    def _path(self, reason):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime())
        base = os.path.join(self.directory, "heapdiff-%d-%s-%s" % (os.getpid(), stamp, reason))
        # Two dumps in one second get -2, -3, ...; never a name used before, even if that
        # file was rotated away since.
        last_base, last_n = self.name_uses.get(reason, (None, 0))
        n = last_n + 1 if last_base == base else 1
        while True:
            path = base + ".hds" if n == 1 else "%s-%d.hds" % (base, n)
            # lexists: a name taken by anything, a dangling link planted there too, is skipped
            # (the writer would refuse it).
            if not os.path.lexists(path):
                break
            n += 1
        self.name_uses[reason] = (base, n)
        return path

    def dump(self, reason, detail, wait=0.0):
        """Write one snapshot; return its path, or None (failure or skip, logged). A signal
        that came while another dump was being written is dumped right after it, by the
        thread that wrote that one (the signal handler cannot wait: it would pause the
        program for the other dump's walk)."""
        held, path = self._dump_once(reason, detail, wait)
        # Only a call that held the lock: one that was refused left its signal pending for
        # the holder.
        while held and self.pending_signal is not None and not self.exiting and not sys.is_finalizing():
            pending, self.pending_signal = self.pending_signal, None
            self._dump_once("signal", pending, 0.0)
        self.skipped = not held
        return path

    def _dump_once(self, reason, detail, wait):
        """(whether this call held the dump lock, the path written or None)."""
        if sys.is_finalizing():
            return False, None
        if wait > 0:
            acquired = _dump_lock.acquire(timeout=min(wait, threading.TIMEOUT_MAX))
        else:
            acquired = _dump_lock.acquire(False)
        if not acquired:
            if reason == "signal" and not self.exiting:
                if self.pending_signal is None:
                    log("%s: another dump is being written; this one follows it" % detail)
                self.pending_signal = detail  # many signals meanwhile: one dump
                return False, None
            log("%s: skipped, another dump is being written" % detail)
            return False, None
        path = failure = None
        try:
            self._prepare_directory()
            path = self._path(reason)
            label = detail if self.label is None else "%s: %s" % (self.label, detail)
            # One child at a time: the next dump waits for the previous one's (its
            # GIL released), however it was asked for.
            self._wait_for_child()
            fork = self.fork and reason != "exit"  # at exit there is nothing left to serve
            if fork:
                why = why_not_fork()
                if why is not None:
                    log("%s: dumping in-process, not forked: %s" % (detail, why))
                    fork = False
            handle = dump(path, label=label, tracebacks=self.tracebacks, fork=fork)
            if fork and handle.pid is None:
                log("%s: could not fork (%s): dumped in-process" % (detail, handle.why_not_forked))
            elif fork:
                self._watch_child(handle, detail)
                if threading.current_thread() is threading.main_thread():
                    return True, path  # a signal handler: the program goes on at once
                # The watchdog thread (periodic, RSS) waits, GIL released: the program runs
                # on, and the path returned is one that exists (rotation counts on it).
                self._wait_for_child()
                return True, (path if path in self.written else None)
        except Exception as e:  # DumpError (an OSError) and anything else: never raise
            failure = e
        finally:
            _dump_lock.release()
        # Logged once the lock is free, so whoever reads the line can ask for the next dump.
        if failure is None:
            self.written.append(path)
            log("wrote %s (%s)" % (path, detail))
            return True, path
        if isinstance(failure, DumpError) and "already running" in str(failure):
            log("%s: skipped, another dump is being written" % detail)
            return False, None
        else:
            plain = isinstance(failure, OSError) and failure.strerror and not isinstance(failure, DumpError)
            log("could not write %s (%s): %s" % (path or self.directory, detail,
                                                 failure.strerror if plain else failure))
        return True, None

    def _wait_for_child(self, timeout=None):
        child = self.child
        if child is not None and child is not threading.current_thread():
            child.join(timeout)

    def _watch_child(self, handle, detail):
        """A thread that waits for the child (GIL released) and logs how it ended."""
        log("forked process %d to write %s (%s); paused %.1f ms" % (handle.pid, handle.path, detail,
                                                                   handle.pause_seconds * 1000))

        def wait():
            try:
                handle.wait()
            except Exception as e:  # DumpError: the child failed or was killed
                if handle.path in self.periodic_files:
                    self.periodic_files.remove(handle.path)
                log("could not write %s (%s): %s" % (handle.path, detail, e))
                return
            self.written.append(handle.path)
            f = handle.figures
            dirty = f.get("child_private_dirty", -1)
            log("wrote %s (%s): walked by process %d in %.2f s, copy %s" % (
                handle.path, detail, handle.pid, f["seconds"], "unknown" if dirty < 0 else _memory.format_size(dirty)))

        thread = threading.Thread(target=wait, name="heapdiff-fork-wait", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            # 3.12+ starts no thread once the interpreter shuts down (a signal in an atexit
            # hook): this thread waits for the child itself, GIL released.
            self.child = None
            wait()
            return
        self.child = thread

    def _prepare_directory(self):
        """Make the directory (as os.makedirs, through safe_files: no link another user
        planted on the way is followed) and say once what heapdiff does in one that other
        users can write."""
        shared = _probe.prepare_directory(os.fsencode(self.directory))
        if shared and not self.shared_noted:
            self.shared_noted = True
            log("%s can be written by other users: snapshots are made there only under new names, "
                 "never through a link, and rotation removes only this user's own files" % self.directory)

    # --- the signal --------------------------------------------------------------------------

    def on_signal(self, signum, frame):
        if self.exiting:  # was pending when the exit hook switched the signal off
            return
        try:
            self.dump("signal", signal_name(signum))
        except Exception:  # dump() logs its own failures; a KeyboardInterrupt still goes through
            pass

    def take_signal(self, replaced):
        """Install on_signal; returns how to undo that. `replaced` is the install this one
        replaces (or None): if its handler is the one displaced, the program's handler from
        before it is the one uninstall() will restore."""
        displaced = _set_handler(self.signum, self.on_signal)
        same = replaced is not None and replaced.signum == self.signum and displaced == replaced.on_signal
        self.previous_handler = replaced.previous_handler if same else displaced
        # A server that resets its workers' signals to SIG_DFL gets heapdiff's handler back
        # (docs/TRIGGERS.md, "Servers"): SIGUSR2's default action would end the worker.
        _guard_signal(self.signum, self.on_signal, self._note_reset)
        return lambda: self.give_back_signal(displaced)

    def _note_reset(self, signum, what):
        log("process %d set %s to %s, which ends the process: heapdiff's dump handler is set instead"
            % (os.getpid(), signal_name(signum), what))

    def give_back_signal(self, handler):
        """Set `handler` (None: SIG_DFL) for the signal, if ours is still the one set."""
        _unguard_signal(self.on_signal)
        try:
            if _signal.getsignal(self.signum) == self.on_signal:
                _set_handler(self.signum, _signal.SIG_DFL if handler is None else handler)
        except (ValueError, OSError, TypeError):  # not the main thread: leave it, it is harmless
            pass

    def _ignore_signal_from_now_on(self):
        """Set the trigger signal to SIG_IGN for the rest of the process's life.

        After the atexit hooks, CPython's signal finalization resets every signal whose
        handler is a Python function to SIG_DFL; SIGUSR2's default action terminates the
        process, so a late SIGUSR2 would replace the exit status with -12. A signal set to
        SIG_IGN is left alone (Modules/signalmodule.c, 3.8 to 3.13). signal.signal() runs
        pending handlers first: on_signal returns at once now that `exiting` is set, but
        another handler may raise (KeyboardInterrupt); the switch is then made again."""
        for attempt in (1, 2):
            try:
                self.give_back_signal(_signal.SIG_IGN)
                return
            except BaseException:
                if attempt == 2:
                    raise

    # --- exit --------------------------------------------------------------------------------

    def on_exit(self):
        self.exiting = True
        if self.signum is not None:
            self._ignore_signal_from_now_on()
        # One deadline for both waits: the watchdog finishing what it is doing (a dump,
        # its rotation) before the interpreter stops its daemon thread mid-way, then the
        # lock for the exit dump.
        deadline = time.monotonic() + EXIT_WAIT_SECONDS
        self.close(timeout=EXIT_WAIT_SECONDS)
        # A forked dump still being written is waited for: its file is what the user reads next.
        self._wait_for_child(max(0.0, deadline - time.monotonic()))
        if self.at_exit:
            self.dump("exit", "exit", wait=max(0.0, deadline - time.monotonic()))

    # --- the watchdog thread ---------------------------------------------------------------

    def _watch(self):
        try:
            self._watch_loop()
        except BaseException as e:  # never let a traceback out of a daemon thread
            if not sys.is_finalizing():
                log("the trigger thread stopped: %r" % (e,))

    def _watch_loop(self):
        next_periodic = time.monotonic() + self.every if self.every is not None else None
        while True:
            timeout = POLL_SECONDS if self._rss_armed() else None
            if next_periodic is not None:
                until = max(0.0, next_periodic - time.monotonic())
                timeout = until if timeout is None else min(timeout, until)
            if self.stop.wait(timeout):
                return
            if sys.is_finalizing():
                return
            now = time.monotonic()
            if self._rss_armed():
                self._check_rss(now)
            if next_periodic is not None and now >= next_periodic:
                self._periodic()
                # Skip missed periods rather than dumping back to back.
                next_periodic += self.every * max(1, int((time.monotonic() - next_periodic) // self.every) + 1)

    def _rss_armed(self):
        return self.threshold is not None and (self.max_dumps is None or self.rss_dumps < self.max_dumps)

    def _check_rss(self, now):
        rss = _memory.rss()
        if rss is None or rss < self.threshold:
            return
        if self.last_rss_dump is not None and now - self.last_rss_dump < self.min_interval:
            return
        fmt = _memory.format_size
        detail = "rss %s >= %s" % (fmt(rss), fmt(self.threshold))
        if self.limit is not None:
            detail += " of %s %s" % (fmt(self.limit), self.limit_source)
        path = self.dump("rss", detail)
        if path is None and self.skipped:
            return  # skipped for another dump: try again at the next poll
        self.last_rss_dump = time.monotonic()
        self.rss_dumps += 1
        # Escalate from where the process is now (the dump itself may have grown the RSS),
        # so the next dump comes later in the growth, closer to the end.
        self.threshold = self._next_threshold(max(self.threshold, rss, _memory.rss() or 0))
        if not self._rss_armed():
            log("rss trigger: %d dump(s) written, no more" % self.rss_dumps)

    def _next_threshold(self, base):
        return next_threshold(self.escalation, self.limit, base)

    def _periodic(self):
        path = self.dump("every", "every %s" % _format_seconds(self.every))
        if path is None:
            return
        self.periodic_files.append(path)
        while self.keep is not None and len(self.periodic_files) > self.keep:
            old = self.periodic_files.pop(0)
            # Only this user's own regular file under that name, relative to the checked
            # directory, never through a link (safe_files' remove_file, as the C++ side).
            try:
                removed = _probe.remove_own_file(os.fsencode(old))
            except OSError as e:
                log("rotation: could not remove %s: %s" % (old, e))
                continue
            if not removed and os.path.lexists(old):
                log("rotation: left %s: it is no longer a file of this user" % old)
        if self.keep is not None:
            self._rotate_gone_processes()

    def _rotate_gone_processes(self):
        """The periodic files of processes that are gone (workers a server replaced) count
        against `keep` too: the newest `keep` of them stay (a dead worker's last heap is
        often the one to read), the older ones are removed. Without this a server that
        restarts its workers fills the directory with `keep` files per worker ever run."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        gone = []
        alive = {os.getpid(): True}
        for name in names:
            m = _PERIODIC_NAME.match(name)
            if m is None:
                continue
            pid = int(m.group(1))
            if pid not in alive:
                alive[pid] = _process_exists(pid)
            if not alive[pid]:
                gone.append((m.group(2), int(m.group(3) or 1), name))
        gone.sort()
        for _, _, name in gone[:max(0, len(gone) - self.keep)]:
            try:
                _probe.remove_own_file(os.fsencode(os.path.join(self.directory, name)))
            except OSError as e:
                log("rotation: could not remove %s: %s" % (os.path.join(self.directory, name), e))

    def close(self, timeout=5.0):
        self.stop.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=timeout)

    def retire(self, signal_too=True):
        """Undo what activation did: the exit hook, the handler (signal_too), the thread."""
        atexit.unregister(self.on_exit)
        if signal_too and self.signum is not None:
            self.give_back_signal(self.previous_handler)
        self.close()


# heapdiff-<pid>-<YYYYmmdd-HHMMSS>-every[-N].hds: the periodic trigger's file names (_path).
_PERIODIC_NAME = re.compile(r"heapdiff-(\d+)-(\d{8}-\d{6})-every(?:-(\d+))?\.hds\Z")


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's process, alive
        return True
    return True


def _format_seconds(seconds):
    if seconds < 1:
        return "%gms" % (seconds * 1000)
    for unit, scale in (("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= scale and seconds % scale == 0:
            return "%d%s" % (seconds // scale, unit)
    return "%gs" % seconds


def install(directory=".", *, signal=_signal.SIGUSR2, at_exit=False, every=None, keep=5, rss=None,
            max_dumps=3, min_interval="5s", escalate=None, label=None, tracebacks=True, tracemalloc=0,
            fork=True):
    """Dump the heap into ``directory`` when nobody is watching; replaces an earlier install().

    signal       -- dump and continue on this signal (default SIGUSR2; None: no handler).
                    Needs the main thread, as signal.signal() does. SIGKILL, SIGSTOP,
                    SIGINT, SIGTERM and the signals that report a fault of the process
                    (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, ...) are refused.
    at_exit      -- dump when the interpreter exits normally (atexit).
    every        -- dump periodically: seconds or "500ms", "30s", "5m", "1h"; keeps the
                    last ``keep`` of these files (None: keep all).
    rss          -- dump when the resident set size reaches this: bytes, "2GiB", or "80%"
                    of the cgroup memory limit (of the machine's memory if none is set).
                    At most ``max_dumps`` such dumps, at least ``min_interval`` apart; after
                    each the threshold moves up (``escalate``): "halfway" to the limit
                    (the default when a limit is known) or by a fraction ("10%", 0.1).
    label        -- prefix of each snapshot's label (the label says the reason anyway).
    tracebacks   -- passed to heapdiff.dump().
    fork         -- walk a fork()ed copy (the default: the program pauses only for the
                    fork, docs/TRIGGERS.md "Forked dumps"); falls back to an in-process
                    dump, and logs why, when the copy may not fit in the cgroup's memory
                    or fork() fails. The exit dump is always in-process. False: walk the
                    process itself (it pauses for the whole walk; the file exists when
                    a signal handler returns).
    tracemalloc  -- if > 0, start tracemalloc with that many frames (up to 65535; when not
                    tracing yet), so snapshots carry allocation tracebacks.
    Returns an object describing what was installed (its ``written`` lists the files).
    Every option is checked before anything is installed: TypeError for a value of the
    wrong type, ValueError for a wrong value. When install() raises, nothing of it is
    installed (no handler, thread, exit hook, tracemalloc) and an earlier install() is
    left as it was.
    """
    config = Config(dict(directory=directory, signal=signal, at_exit=at_exit, every=every, keep=keep, rss=rss,
                          max_dumps=max_dumps, min_interval=min_interval, escalate=escalate, label=label,
                          tracebacks=tracebacks, tracemalloc=tracemalloc, fork=fork))
    return _activate(_Triggers(config))


def _activate(triggers):
    """Start `triggers` and only then retire the install it replaces; a step that fails
    undoes the steps before it, leaving the earlier install running as it was."""
    global _active
    replaced = _active
    undo = []
    try:
        triggers.start_watchdog()
        undo.append(triggers.close)
        if triggers.config.tracemalloc_frames:
            undo.append(_start_tracemalloc(triggers.config.tracemalloc_frames))
        if triggers.signum is not None:
            undo.append(triggers.take_signal(replaced))
        atexit.register(triggers.on_exit)
    except BaseException:
        for step in reversed(undo):
            step()
        raise
    _active = triggers
    if replaced is not None:
        # Its signal, when the new install took the same one, is the new handler's now.
        replaced.retire(signal_too=replaced.signum != triggers.signum)
    return triggers


def _start_tracemalloc(frames):
    """Start tracemalloc unless it is tracing already; returns how to undo that."""
    import tracemalloc

    if tracemalloc.is_tracing():
        return lambda: None
    tracemalloc.start(frames)
    return tracemalloc.stop


def uninstall():
    """Remove the triggers install() set up: restore the signal handler, stop the thread."""
    global _active
    triggers, _active = _active, None
    if triggers is not None:
        triggers.retire()


# Which threads are forking right now, and whether each is the main thread: told by the
# parent's before-fork hook, read by the child's (the child keeps the forking thread's ident).
_forking = {}


def _before_fork():
    _forking[threading.get_ident()] = threading.current_thread() is threading.main_thread()


def _after_fork_in_parent():
    _forking.pop(threading.get_ident(), None)


def _after_fork_in_child():
    """A forked child has no threads but the one that forked, and maybe a dump lock held
    by a thread that no longer exists. Renew the lock and re-arm the watchdog: a forked
    worker is where memory grows. The signal handler and the exit hook are inherited.

    A child forked from a thread other than the main one has no main thread to end it:
    it exits when its last thread does (as in plain CPython, without exit hooks). A
    watchdog there would keep it alive, dumping forever, and it cannot watch the forking
    thread end (on 3.14+ no other thread runs again once it has), so there the periodic and
    RSS dumps are off: the child exits when its code does. Its signal handler stays."""
    global _dump_lock
    _dump_lock = threading.Lock()
    from_main = _forking.pop(threading.get_ident(), True)
    _forking.clear()
    triggers = _active
    if triggers is not None:
        triggers.written = []
        triggers.periodic_files = []
        triggers.pending_signal = None  # the parent's to write
        if not from_main:
            if triggers.every is not None or triggers.threshold is not None:
                log("the periodic and rss triggers are off in process %d: it was forked from a thread "
                    "other than the main one, and a trigger thread would keep it alive" % os.getpid())
            return
        try:
            triggers.start_watchdog()
        except Exception as e:
            log("could not restart the trigger thread in the forked child: %s" % e)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
