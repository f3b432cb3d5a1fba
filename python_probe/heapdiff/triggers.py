"""Automatic dump triggers: signal, exit, periodic, RSS threshold.

    heapdiff.install("/var/tmp/heap", rss="80%", every="10m", keep=3)

writes heapdiff-<pid>-<YYYYmmdd-HHMMSS>-<reason>.hds files into the directory when the
process gets SIGUSR2, every 10 minutes (keeping the last 3), and when its RSS crosses 80%
of its cgroup memory limit, and says so in one line on stderr each time. See
docs/TRIGGERS.md.

Nothing here may take the process down: every option is checked before anything is
installed, and an install that fails half-way is undone; every dump is attempted under a
lock that is never waited for (a dump requested while another runs is skipped and
logged), every failure is one line on stderr, nothing dumps once the interpreter is
finalizing, and from the exit hook on the trigger signal is ignored (CPython would reset
a Python-level handler to the signal's default action, which for SIGUSR2 kills).
"""

import atexit
import collections
import math
import os
import signal as _signal
import sys
import threading
import time

from heapdiff import DumpError, _memory, _probe, dump

__all__ = ["install", "uninstall"]

# How often the watchdog reads the RSS (seconds). Reading /proc/self/statm takes a few
# microseconds; a process must grow from the threshold to its limit faster than this
# plus one dump to slip through.
POLL_SECONDS = 0.1

# How long the exit hook waits, in all, for the watchdog to finish a dump it is writing
# (and that dump's rotation) and then for the lock to write its own exit dump.
EXIT_WAIT_SECONDS = 120.0

# tracemalloc keeps at most this many frames per traceback (3.9+ refuse more; one limit
# for every version).
MAX_TRACEMALLOC_FRAMES = 65535

_ENV = "HEAPDIFF_TRIGGERS"

# One dump at a time across the signal handler, the watchdog thread and the exit hook.
# Only ever acquired without blocking (or with a timeout at exit): the signal handler
# runs on the main thread between two bytecodes, possibly while that same thread holds it.
_dump_lock = threading.Lock()
_active = None  # the installed _Triggers, or None
_environment_done = False  # HEAPDIFF_TRIGGERS was handled in this process


def _log(message):
    """One line on stderr, written with os.write: print() from a signal handler can
    re-enter a BufferedWriter the main thread is in the middle of, and sys.stderr may
    be gone at exit."""
    try:
        os.write(2, ("heapdiff: " + message + "\n").encode("utf-8", "replace"))
    except Exception:
        pass


# --- checking each option ---------------------------------------------------------------
# Each check takes what install() was given and returns the value the triggers use, or
# raises TypeError (a value of the wrong type) or ValueError (a wrong value). None of them
# installs anything.


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(number, what, value):
    if math.isnan(number) or math.isinf(number):
        raise ValueError("%s must be a finite number, not %r" % (what, value))
    return number


def _parse_seconds(value, what):
    """Seconds from a number or a string like "500ms", "30s", "5m", "1h": finite, >= 0,
    and short enough for threading's waits (threading.TIMEOUT_MAX)."""
    if _is_number(value):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _seconds_from_text(value, what)
    else:
        raise TypeError("%s: expected seconds or a duration like '30s', not %r" % (what, value))
    _finite(seconds, what, value)
    if seconds < 0:
        raise ValueError("%s must not be negative: %r" % (what, value))
    if seconds > threading.TIMEOUT_MAX:
        raise ValueError("%s is too long: %r (at most %d seconds)" % (what, value, threading.TIMEOUT_MAX))
    return seconds


def _seconds_from_text(value, what):
    text = value.strip().lower()
    for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1)):
        number = text[: len(text) - len(suffix)]
        if text.endswith(suffix) and number:
            try:
                return float(number) * scale
            except ValueError:
                continue
    raise ValueError("%s: expected a duration like '500ms', '30s', '5m' or '1h', got %r" % (what, value))


def _check_every(value):
    if value is None:
        return None
    seconds = _parse_seconds(value, "every")
    if seconds <= 0:
        raise ValueError("every must be positive, not %r" % (value,))
    return seconds


def _check_min_interval(value):
    return _parse_seconds(value, "min_interval")


def _count_check(what, meaning_of_none):
    def check(value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s must be a whole number or None, not %r" % (what, value))
        if value < 1:
            raise ValueError("%s must be at least 1 (or None %s), not %r" % (what, meaning_of_none, value))
        return int(value)

    return check


def _flag_check(what):
    def check(value):
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return bool(value)
        raise TypeError("%s must be True or False, not %r" % (what, value))

    return check


def _check_label(value):
    if value is not None and not isinstance(value, str):
        raise TypeError("label must be a str or None, not %r" % (value,))
    return value


def _check_tracemalloc(value):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("tracemalloc must be a number of frames, not %r" % (value,))
    if not 0 <= value <= MAX_TRACEMALLOC_FRAMES:
        raise ValueError("tracemalloc must be a number of frames from 0 (off) to %d, not %r"
                         % (MAX_TRACEMALLOC_FRAMES, value))
    return int(value)


def _check_directory(value):
    """The absolute directory, as a str (bytes and os.PathLike as open() takes them)."""
    try:
        path = os.fspath(value)
    except TypeError:
        raise TypeError("directory must be a path (str, bytes or os.PathLike), not %r" % (value,)) from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if "\0" in path:
        raise ValueError("directory: embedded null byte in %r" % (path,))
    try:
        return os.path.abspath(path)
    except OSError as e:  # a relative path while the current directory was removed
        raise ValueError("directory %r cannot be made absolute: %s" % (path, e.strerror or e)) from None


# Signals that must not trigger dumps, and why. Everything else signal.valid_signals()
# lists may (SIGUSR1, SIGUSR2, the real-time signals, SIGHUP, ...).
_UNSUITABLE_SIGNALS = {
    "SIGKILL": "cannot be caught",
    "SIGSTOP": "cannot be caught",
    "SIGINT": "is how a Python program is interrupted (KeyboardInterrupt)",
    "SIGTERM": "asks the process to stop: a handler that dumps and goes on would keep it running",
}
for _name in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGSYS", "SIGXCPU", "SIGXFSZ"):
    _UNSUITABLE_SIGNALS[_name] = ("reports a fault or an exceeded limit of the process itself: a Python-level "
                                  "handler runs too late to help, or never")
del _name


def _signal_name(signum):
    try:
        return _signal.Signals(signum).name
    except ValueError:
        return "signal %d" % signum


def _check_signal(value):
    """A signal number, or None for no handler, from None, an int, a signal.Signals,
    "USR2", "SIGUSR2" or "12" ("none", "off", "0" and "" mean no handler)."""
    if value is None:
        return None
    if isinstance(value, str):
        signum = _signal_from_text(value)
        if signum is None:
            return None
    elif isinstance(value, int) and not isinstance(value, bool):
        signum = int(value)
    else:
        raise TypeError("signal must be a signal number, a name like 'USR2', or None, not %r" % (value,))
    if signum not in _signal.valid_signals():
        raise ValueError("signal %r is not a signal on this system" % (value,))
    reason = _UNSUITABLE_SIGNALS.get(_signal_name(signum))
    if reason is not None:
        raise ValueError("signal %s cannot trigger dumps: it %s (use SIGUSR1, SIGUSR2 or a real-time signal)"
                         % (_signal_name(signum), reason))
    return signum


def _signal_from_text(value):
    name = value.strip().upper()
    if name in ("", "NONE", "OFF", "0"):
        return None
    if name.isdigit():
        return int(name)
    if not name.startswith("SIG"):
        name = "SIG" + name
    signum = getattr(_signal, name, None)
    if not isinstance(signum, int) or name.startswith("SIG_"):
        raise ValueError("unknown signal %r" % (value,))
    return int(signum)


def _check_rss(value):
    """("fraction", f) of the memory limit, ("bytes", n), or None."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        text = value.strip()[:-1]
        try:
            fraction = float(text) / 100
        except ValueError:
            raise ValueError("rss: bad percentage %r" % (value,)) from None
        if not 0 < fraction <= 1:  # also false for NaN
            raise ValueError("rss: a percentage must be in (0%%, 100%%], not %r" % (value,))
        return ("fraction", fraction)
    if not (_is_number(value) or isinstance(value, str)):
        raise TypeError("rss must be bytes, a size like '2GiB' or a percentage like '80%%', not %r" % (value,))
    try:
        return ("bytes", _memory.parse_size(value))
    except ValueError as e:
        raise ValueError("rss: %s" % e) from None


def _check_escalate(value):
    """None (the default for the limit found), ("halfway", None) or ("grow", fraction)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "halfway":
            return ("halfway", None)
        percent = text.endswith("%")
        try:
            fraction = float(text[:-1]) / 100 if percent else float(text)
        except ValueError:
            fraction = None
        if fraction is not None and math.isfinite(fraction) and fraction >= 0:
            return ("grow", fraction)
        raise ValueError("escalate: expected 'halfway', a percentage like '10%%' or a fraction, not %r" % (value,))
    if not _is_number(value):
        raise TypeError("escalate: expected 'halfway', a percentage like '10%%' or a fraction, not %r" % (value,))
    if not math.isfinite(value) or value < 0:
        raise ValueError("escalate: a fraction must be finite and >= 0, not %r" % (value,))
    return ("grow", float(value))


def _machine_memory():
    """MemTotal in bytes, or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


RssPlan = collections.namedtuple("RssPlan", "threshold limit limit_source escalation")


def _rss_plan(rss, escalation):
    """The RSS trigger's first threshold, the limit it escalates towards and how, read
    once at install (the cgroup limit, else the machine's memory for a percentage)."""
    if rss is None:
        return None
    limit = _memory.cgroup_limit()
    source = "cgroup memory limit" if limit is not None else None
    kind, amount = rss
    if kind == "fraction":
        if limit is None:
            limit, source = _machine_memory(), "machine memory"
            if limit is None:
                raise ValueError("rss=%g%% needs a memory limit: no cgroup limit is set and /proc/meminfo "
                                 "cannot be read" % (amount * 100))
        threshold = int(limit * amount)
    else:
        threshold = amount
    if escalation is None:
        escalation = ("halfway", None) if limit is not None else ("grow", 0.1)
    if escalation[0] == "halfway" and limit is None:
        raise ValueError("escalate='halfway' needs a memory limit (a cgroup limit, or rss as a percentage)")
    return RssPlan(threshold, limit, source, escalation)


# --- the options, declared once ---------------------------------------------------------
# install() takes them as keywords (its signature holds the defaults); HEAPDIFF_TRIGGERS
# and `python -m heapdiff run` spell them as text, turned into what install() takes by
# from_text, so the three ways share one parser and one check per option.


def parse_bool(text, what="value"):
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError("%s: expected 1/0, yes/no, true/false or on/off, not %r" % (what, text))


def _count_from_text(text, what="value"):
    if text.strip().lower() in ("none", "all", "unlimited"):
        return None
    return _whole_number(text, what)


def _whole_number(text, what="value"):
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("%s: expected a whole number, not %r" % (what, text)) from None


def _optional_text(text, what="value"):
    return None if text.strip().lower() in ("none", "off", "") else text


def _text(text, what="value"):
    return text


Option = collections.namedtuple("Option", "name check from_text env_keys flag help")
Option.__doc__ = """One trigger option: install()'s keyword, its check, how its text (in
HEAPDIFF_TRIGGERS or on the command line) becomes what install() takes, its keys in
HEAPDIFF_TRIGGERS, its `python -m heapdiff run` flag (a boolean's flag is a switch; one
named --no-... turns the option off) and that flag's help."""

OPTIONS = (
    Option("directory", _check_directory, _text, ("dir", "directory"), "--dir",
           "where snapshots go (default: the current directory)"),
    Option("signal", _check_signal, _text, ("signal",), "--signal",
           "dump on this signal (default USR2; 'none': no handler)"),
    Option("at_exit", _flag_check("at_exit"), parse_bool, ("atexit", "at_exit"), "--at-exit",
           "dump when the program exits"),
    Option("every", _check_every, _optional_text, ("every",), "--every",
           "dump periodically: 500ms, 30s, 5m, 1h"),
    Option("keep", _count_check("keep", "to keep every file"), _count_from_text, ("keep",), "--keep",
           "periodic snapshots kept on disk (default 5; 'all')"),
    Option("rss", _check_rss, _optional_text, ("rss",), "--rss",
           "dump when the RSS reaches this: bytes, 2GiB, or 80%% of the memory limit"),
    Option("max_dumps", _count_check("max_dumps", "for no limit"), _count_from_text, ("max_dumps",),
           "--max-dumps", "at most this many RSS dumps (default 3; 'none')"),
    Option("min_interval", _check_min_interval, _text, ("min_interval",), "--min-interval",
           "at least this long between RSS dumps (default 5s)"),
    Option("escalate", _check_escalate, _optional_text, ("escalate",), "--escalate",
           "after an RSS dump, raise the threshold 'halfway' to the limit (default when a limit is "
           "known) or by a percentage (10%%)"),
    Option("label", _check_label, _text, ("label",), "--label", "prefix for every snapshot's label"),
    Option("tracebacks", _flag_check("tracebacks"), parse_bool, ("tracebacks",), "--no-tracebacks",
           "do not record allocation tracebacks"),
    Option("tracemalloc", _check_tracemalloc, _whole_number, ("tracemalloc",), "--tracemalloc",
           "start tracemalloc with this many frames first (up to %d), so snapshots carry allocation "
           "tracebacks" % MAX_TRACEMALLOC_FRAMES),
)
_OPTION = {o.name: o for o in OPTIONS}
_ENV_KEYS = {key: o for o in OPTIONS for key in o.env_keys}


def option_from_text(name, text, what=None):
    """What install() takes for option `name` spelled as `text`; ValueError naming it
    (as `what`, by default its HEAPDIFF_TRIGGERS key)."""
    option = _OPTION[name]
    return option.from_text(text, what or option.env_keys[0])


def parse_spec(text):
    """install() keyword arguments from "signal=USR2,atexit,every=30s,keep=5,rss=80%,dir=/x".

    Items are separated by commas; each is key=value, or a bare boolean key (atexit) meaning
    key=1. Keys: dir, signal, atexit, every, keep, rss, max_dumps, min_interval, escalate,
    label, tracebacks, tracemalloc ("-" may stand for "_"). "keep=all" / "max_dumps=none"
    remove those limits. Raises ValueError naming the bad item; install() checks the values.
    """
    kwargs = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        option = _ENV_KEYS.get(key.lower().replace("-", "_"))
        if option is None:
            raise ValueError("unknown item %r (known: %s)" % (item, ", ".join(o.env_keys[0] for o in OPTIONS)))
        if option.name in kwargs:
            raise ValueError("%r given twice" % key)
        if not sep:
            if option.from_text is not parse_bool:
                raise ValueError("%r needs a value (%s=...)" % (item, key))
            kwargs[option.name] = True
        else:
            kwargs[option.name] = option.from_text(value.strip(), key)
    return kwargs


class _Config:
    """Every option of one install(), checked; building it installs nothing."""

    def __init__(self, options):
        checked = {name: _OPTION[name].check(value) for name, value in options.items()}
        self.directory = checked["directory"]
        self.signum = checked["signal"]
        self.at_exit = checked["at_exit"]
        self.every = checked["every"]
        self.keep = checked["keep"]
        self.max_dumps = checked["max_dumps"]
        self.min_interval = checked["min_interval"]
        self.label = checked["label"]
        self.tracebacks = checked["tracebacks"]
        self.tracemalloc_frames = checked["tracemalloc"]
        self.rss = _rss_plan(checked["rss"], checked["escalate"])
        if self.signum is not None and threading.current_thread() is not threading.main_thread():
            raise ValueError("install(signal=...) must be called from the main thread (or pass signal=None)")


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
        plan = config.rss
        self.threshold = self.first_threshold = None if plan is None else plan.threshold
        self.limit = None if plan is None else plan.limit  # what "halfway" escalates towards
        self.limit_source = None if plan is None else plan.limit_source
        self.escalation = None if plan is None else plan.escalation
        self.previous_handler = None  # the program's handler for signum before heapdiff's
        self.exiting = False  # the exit hook has run: signals are ignored from then on
        self.skipped = False  # whether the last dump() was skipped for another one
        self.written = []  # paths this process wrote, oldest first
        self.name_uses = {}  # reason: the stem of its last file name and that name's -N suffix
        self.periodic_files = []  # the periodic ones still on disk, oldest first
        self.stop = threading.Event()
        self.thread = None
        self.owner = None  # in a child forked from a non-main thread: the thread it runs in
        self.shared_noted = False  # the note about a directory others can write was logged

    def start_watchdog(self, owner=None):
        """Reset the counters and start the watchdog (at install, and in a forked child).
        With `owner`, the watchdog stops once that thread has ended (see _after_fork_in_child)."""
        self.owner = owner
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
        """Write one snapshot; return its path, or None (failure or skip, logged)."""
        if sys.is_finalizing():
            return None
        if wait > 0:
            acquired = _dump_lock.acquire(timeout=min(wait, threading.TIMEOUT_MAX))
        else:
            acquired = _dump_lock.acquire(False)
        self.skipped = not acquired
        if not acquired:
            _log("%s: skipped, another dump is being written" % detail)
            return None
        path = failure = None
        try:
            self._prepare_directory()
            path = self._path(reason)
            label = detail if self.label is None else "%s: %s" % (self.label, detail)
            dump(path, label=label, tracebacks=self.tracebacks)
        except Exception as e:  # DumpError (an OSError) and anything else: never raise
            failure = e
        finally:
            _dump_lock.release()
        # Logged once the lock is free, so whoever reads the line can ask for the next dump.
        if failure is None:
            self.written.append(path)
            _log("wrote %s (%s)" % (path, detail))
            return path
        if isinstance(failure, DumpError) and "already running" in str(failure):
            self.skipped = True
            _log("%s: skipped, another dump is being written" % detail)
        else:
            plain = isinstance(failure, OSError) and failure.strerror and not isinstance(failure, DumpError)
            _log("could not write %s (%s): %s" % (path or self.directory, detail,
                                                 failure.strerror if plain else failure))
        return None

    def _prepare_directory(self):
        """Make the directory (as os.makedirs, through safe_files: no link another user
        planted on the way is followed) and say once what heapdiff does in one that other
        users can write."""
        shared = _probe.prepare_directory(os.fsencode(self.directory))
        if shared and not self.shared_noted:
            self.shared_noted = True
            _log("%s can be written by other users: snapshots are made there only under new names, "
                 "never through a link, and rotation removes only this user's own files" % self.directory)

    # --- the signal --------------------------------------------------------------------------

    def on_signal(self, signum, frame):
        if self.exiting:  # was pending when the exit hook switched the signal off
            return
        try:
            self.dump("signal", _signal_name(signum))
        except Exception:  # dump() logs its own failures; a KeyboardInterrupt still goes through
            pass

    def take_signal(self, replaced):
        """Install on_signal; returns how to undo that. `replaced` is the install this one
        replaces (or None): if its handler is the one displaced, the program's handler from
        before it is the one uninstall() will restore."""
        displaced = _signal.signal(self.signum, self.on_signal)
        same = replaced is not None and replaced.signum == self.signum and displaced == replaced.on_signal
        self.previous_handler = replaced.previous_handler if same else displaced
        return lambda: self.give_back_signal(displaced)

    def give_back_signal(self, handler):
        """Set `handler` (None: SIG_DFL) for the signal, if ours is still the one set."""
        try:
            if _signal.getsignal(self.signum) == self.on_signal:
                _signal.signal(self.signum, _signal.SIG_DFL if handler is None else handler)
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
        if self.at_exit:
            self.dump("exit", "exit", wait=max(0.0, deadline - time.monotonic()))

    # --- the watchdog thread ---------------------------------------------------------------

    def _watch(self):
        try:
            self._watch_loop()
        except BaseException as e:  # never let a traceback out of a daemon thread
            if not sys.is_finalizing():
                _log("the trigger thread stopped: %r" % (e,))

    def _watch_loop(self):
        next_periodic = time.monotonic() + self.every if self.every is not None else None
        while True:
            timeout = POLL_SECONDS if self._rss_armed() else None
            if next_periodic is not None:
                until = max(0.0, next_periodic - time.monotonic())
                timeout = until if timeout is None else min(timeout, until)
            if self.owner is not None:  # wake up to see whether the child's code has ended
                timeout = POLL_SECONDS if timeout is None else min(timeout, POLL_SECONDS)
            if self.stop.wait(timeout):
                return
            if sys.is_finalizing() or (self.owner is not None and not self.owner.is_alive()):
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
            _log("rss trigger: %d dump(s) written, no more" % self.rss_dumps)

    def _next_threshold(self, base):
        kind, fraction = self.escalation
        if kind == "halfway":
            return base + max(1, (self.limit - base) // 2) if base < self.limit else base + 1
        # A huge fraction gives a threshold no process reaches, never an overflow.
        return int(min(base * (1 + fraction), float(sys.maxsize))) + 1

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
                _log("rotation: could not remove %s: %s" % (old, e))
                continue
            if not removed and os.path.lexists(old):
                _log("rotation: left %s: it is no longer a file of this user" % old)

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


def _format_seconds(seconds):
    if seconds < 1:
        return "%gms" % (seconds * 1000)
    for unit, scale in (("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= scale and seconds % scale == 0:
            return "%d%s" % (seconds // scale, unit)
    return "%gs" % seconds


def install(directory=".", *, signal=_signal.SIGUSR2, at_exit=False, every=None, keep=5, rss=None,
            max_dumps=3, min_interval="5s", escalate=None, label=None, tracebacks=True, tracemalloc=0):
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
    tracemalloc  -- if > 0, start tracemalloc with that many frames (up to 65535; when not
                    tracing yet), so snapshots carry allocation tracebacks.
    Returns an object describing what was installed (its ``written`` lists the files).
    Every option is checked before anything is installed: TypeError for a value of the
    wrong type, ValueError for a wrong value. When install() raises, nothing of it is
    installed (no handler, thread, exit hook, tracemalloc) and an earlier install() is
    left as it was.
    """
    config = _Config(dict(directory=directory, signal=signal, at_exit=at_exit, every=every, keep=keep, rss=rss,
                          max_dumps=max_dumps, min_interval=min_interval, escalate=escalate, label=label,
                          tracebacks=tracebacks, tracemalloc=tracemalloc))
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
    watchdog there would keep it alive, dumping forever, so it watches the forking thread
    and stops once that thread's code has ended: the child exits when its code does."""
    global _dump_lock
    _dump_lock = threading.Lock()
    from_main = _forking.pop(threading.get_ident(), True)
    _forking.clear()
    triggers = _active
    if triggers is not None:
        triggers.written = []
        triggers.periodic_files = []
        try:
            triggers.start_watchdog(owner=None if from_main else threading.current_thread())
        except Exception as e:
            _log("could not restart the trigger thread in the forked child: %s" % e)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


# --- HEAPDIFF_TRIGGERS ---------------------------------------------------------------------


def _install_from_environment():
    """Install the triggers HEAPDIFF_TRIGGERS asks for (the .pth hook calls this at start-up).

    Never raises: a bad value is one line on stderr and nothing installed. Runs once per
    process: site.py may process a venv's site-packages, and so the .pth, twice."""
    global _environment_done
    text = os.environ.get(_ENV, "")
    if not text.strip() or _environment_done:
        return None
    _environment_done = True
    try:
        return install(**parse_spec(text))
    except Exception as e:
        _log("%s ignored, no triggers installed: %s" % (_ENV, e))
        return None
