"""Automatic dump triggers: signal, exit, periodic, RSS threshold.

    heapdiff.install("/var/tmp/heap", rss="80%", every="10m", keep=3)

writes heapdiff-<pid>-<YYYYmmdd-HHMMSS>-<reason>.hds files into the directory when the
process gets SIGUSR2, every 10 minutes (keeping the last 3), and when its RSS crosses 80%
of its cgroup memory limit, and says so in one line on stderr each time. See
docs/TRIGGERS.md.

Nothing here may take the process down: every dump is attempted under a lock that is
never waited for (a dump requested while another runs is skipped and logged), every
failure is one line on stderr, and nothing dumps once the interpreter is finalizing.
"""

import atexit
import os
import signal as _signal
import sys
import threading
import time

from heapdiff import DumpError, _memory, dump

__all__ = ["install", "uninstall"]

# How often the watchdog reads the RSS (seconds). Reading /proc/self/statm takes a few
# microseconds; a process must grow from the threshold to its limit faster than this
# plus one dump to slip through.
POLL_SECONDS = 0.1

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


def _parse_seconds(value, what):
    """Seconds from a number or a string like "500ms", "30s", "5m", "1h"."""
    if isinstance(value, bool):
        raise ValueError("%s: expected seconds or a duration like '30s', got %r" % (what, value))
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1)):
            if text.endswith(suffix) and text[: len(text) - len(suffix)]:
                try:
                    seconds = float(text[: len(text) - len(suffix)]) * scale
                except ValueError:
                    continue
                break
        else:
            raise ValueError("%s: expected a duration like '500ms', '30s', '5m' or '1h', got %r" % (what, value))
    if seconds != seconds or seconds < 0:
        raise ValueError("%s must not be negative: %r" % (what, value))
    return seconds


def _parse_signal(value):
    """A signal number from None, an int, a signal.Signals, "USR2" or "SIGUSR2"."""
    if value is None:
        return None
    if isinstance(value, str):
        name = value.strip().upper()
        if name in ("", "NONE", "OFF", "0"):
            return None
        if not name.startswith("SIG"):
            name = "SIG" + name
        number = getattr(_signal, name, None)
        if not isinstance(number, int) or name.startswith("SIG_"):
            raise ValueError("unknown signal %r" % (value,))
        return int(number)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise ValueError("signal must be a signal number, a name like 'USR2', or None, not %r" % (value,))


def _signal_name(signum):
    try:
        return _signal.Signals(signum).name
    except ValueError:
        return "signal %d" % signum


def _parse_escalate(value):
    """("halfway", None) or ("grow", fraction)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "halfway":
            return ("halfway", None)
        if text.endswith("%"):
            try:
                return ("grow", float(text[:-1]) / 100)
            except ValueError:
                pass
        raise ValueError("escalate: expected 'halfway', a percentage like '10%%' or a fraction, not %r" % (value,))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return ("grow", float(value))
    raise ValueError("escalate: expected 'halfway', a percentage like '10%%' or a fraction, not %r" % (value,))


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


class _Triggers:
    """One installed configuration and its watchdog thread."""

    def __init__(self, directory, signum, at_exit, every, keep, rss, max_dumps, min_interval, escalate,
                 label, tracebacks):
        self.directory = directory
        self.signum = signum
        self.at_exit = at_exit
        self.every = every
        self.keep = keep
        self.max_dumps = max_dumps
        self.min_interval = min_interval
        self.label = label
        self.tracebacks = tracebacks
        self.previous_handler = None
        self.skipped = False  # whether the last dump() was skipped for another one
        self.written = []  # paths this process wrote, oldest first
        self.name_uses = {}  # reason: the stem of its last file name and that name's -N suffix
        self.periodic_files = []  # the periodic ones still on disk, oldest first
        self._resolve_rss(rss, escalate)
        self._arm()

    def _resolve_rss(self, rss, escalate):
        self.rss_spec = rss
        self.limit = None  # what the threshold escalates towards ("halfway")
        self.limit_source = None
        self.threshold = None
        if rss is None:
            self.escalation = None
            return
        cgroup = _memory.cgroup_limit()
        if cgroup is not None:
            self.limit, self.limit_source = cgroup, "cgroup memory limit"
        text = rss.strip() if isinstance(rss, str) else None
        if text is not None and text.endswith("%"):
            try:
                fraction = float(text[:-1]) / 100
            except ValueError:
                raise ValueError("rss: bad percentage %r" % (rss,)) from None
            if not 0 < fraction <= 1:
                raise ValueError("rss: a percentage must be in (0%%, 100%%], not %r" % (rss,))
            if self.limit is None:
                self.limit, self.limit_source = _machine_memory(), "machine memory"
                if self.limit is None:
                    raise ValueError("rss=%r needs a memory limit: no cgroup limit is set and "
                                     "/proc/meminfo cannot be read" % (rss,))
            self.threshold = int(self.limit * fraction)
        else:
            self.threshold = _memory.parse_size(rss)
        if escalate is None:
            escalate = "halfway" if self.limit is not None else "10%"
        self.escalation = _parse_escalate(escalate)
        if self.escalation[0] == "halfway" and self.limit is None:
            raise ValueError("escalate='halfway' needs a memory limit (a cgroup limit, or rss as a percentage)")
        self.first_threshold = self.threshold

    def _arm(self):
        """Reset the counters and start the watchdog (at install, and in a forked child)."""
        self.rss_dumps = 0
        self.last_rss_dump = None
        self.threshold = getattr(self, "first_threshold", None)
        self.stop = threading.Event()
        self.thread = None
        if self.every is not None or self.threshold is not None:
            self.thread = threading.Thread(target=self._watch, name="heapdiff-triggers", daemon=True)
            self.thread.start()

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
            if not os.path.exists(path):
                break
            n += 1
        self.name_uses[reason] = (base, n)
        return path

    def dump(self, reason, detail, wait=0.0):
        """Write one snapshot; return its path, or None (failure or skip, logged)."""
        if sys.is_finalizing():
            return None
        if wait > 0:
            acquired = _dump_lock.acquire(timeout=wait)
        else:
            acquired = _dump_lock.acquire(False)
        self.skipped = not acquired
        if not acquired:
            _log("%s: skipped, another dump is being written" % detail)
            return None
        path = failure = None
        try:
            path = self._path(reason)
            os.makedirs(self.directory, exist_ok=True)
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

    def on_signal(self, signum, frame):
        try:
            self.dump("signal", _signal_name(signum))
        except Exception:  # dump() logs its own failures; a KeyboardInterrupt still goes through
            pass

    def on_exit(self):
        # Let the watchdog finish what it is doing (a dump, its rotation) before the
        # interpreter stops its daemon thread mid-way.
        self.close(timeout=120.0)
        if self.at_exit:
            # The watchdog may be mid-dump: wait for it a while rather than skip.
            self.dump("exit", "exit", wait=120.0)

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
        base = max(self.threshold, rss, _memory.rss() or 0)
        kind, fraction = self.escalation
        if kind == "halfway":
            self.threshold = base + max(1, (self.limit - base) // 2) if base < self.limit else base + 1
        else:
            self.threshold = int(base * (1 + fraction)) + 1
        if not self._rss_armed():
            _log("rss trigger: %d dump(s) written, no more" % self.rss_dumps)

    def _periodic(self):
        path = self.dump("every", "every %s" % _format_seconds(self.every))
        if path is None:
            return
        self.periodic_files.append(path)
        while self.keep is not None and len(self.periodic_files) > self.keep:
            old = self.periodic_files.pop(0)
            try:
                os.remove(old)
            except OSError:
                pass

    def close(self, timeout=5.0):
        self.stop.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=timeout)


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
                    Needs the main thread, as signal.signal() does.
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
    tracemalloc  -- if > 0, start tracemalloc with that many frames (when not tracing yet),
                    so snapshots carry allocation tracebacks.
    Returns an object describing what was installed (its ``written`` lists the files).
    Raises ValueError for a bad option; nothing is installed then.
    """
    global _active
    directory = os.path.abspath(os.fspath(directory))
    signum = _parse_signal(signal)
    every = None if every is None else _parse_seconds(every, "every")
    if every is not None and every <= 0:
        raise ValueError("every must be positive")
    if keep is not None and (isinstance(keep, bool) or int(keep) < 1):
        raise ValueError("keep must be at least 1 (or None to keep every file)")
    if max_dumps is not None and (isinstance(max_dumps, bool) or int(max_dumps) < 1):
        raise ValueError("max_dumps must be at least 1 (or None for no limit)")
    min_interval = _parse_seconds(min_interval, "min_interval")
    if label is not None and not isinstance(label, str):
        raise TypeError("label must be a str or None")
    if signum is not None and threading.current_thread() is not threading.main_thread():
        raise ValueError("install(signal=...) must be called from the main thread (or pass signal=None)")
    tracemalloc_frames = int(tracemalloc or 0)
    if tracemalloc_frames < 0:
        raise ValueError("tracemalloc must be a number of frames >= 0")

    uninstall()
    triggers = _Triggers(directory, signum, bool(at_exit), every, None if keep is None else int(keep), rss,
                         None if max_dumps is None else int(max_dumps), min_interval, escalate, label,
                         bool(tracebacks))
    try:
        if signum is not None:
            triggers.previous_handler = _signal.signal(signum, triggers.on_signal)
    except BaseException:
        triggers.close()
        raise
    atexit.register(triggers.on_exit)
    if tracemalloc_frames:
        import tracemalloc as _tracemalloc

        if not _tracemalloc.is_tracing():
            _tracemalloc.start(tracemalloc_frames)
    _active = triggers
    return triggers


def uninstall():
    """Remove the triggers install() set up: restore the signal handler, stop the thread."""
    global _active
    triggers, _active = _active, None
    if triggers is None:
        return
    atexit.unregister(triggers.on_exit)
    if triggers.signum is not None:
        try:
            if _signal.getsignal(triggers.signum) == triggers.on_signal:
                previous = triggers.previous_handler
                _signal.signal(triggers.signum, _signal.SIG_DFL if previous is None else previous)
        except (ValueError, OSError):  # not the main thread: leave the handler, it is harmless
            pass
    triggers.close()


def _after_fork_in_child():
    """A forked child has no threads but the one that forked, and maybe a dump lock held
    by a thread that no longer exists. Renew the lock and re-arm the watchdog: a forked
    worker is where memory grows. The signal handler and the exit hook are inherited."""
    global _dump_lock
    _dump_lock = threading.Lock()
    triggers = _active
    if triggers is not None:
        triggers.written = []
        triggers.periodic_files = []
        try:
            triggers._arm()
        except Exception as e:
            _log("could not restart the trigger thread in the forked child: %s" % e)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- HEAPDIFF_TRIGGERS ---------------------------------------------------------------------

_SPEC_KEYS = {
    "dir": "directory", "directory": "directory", "signal": "signal", "atexit": "at_exit",
    "at_exit": "at_exit", "every": "every", "keep": "keep", "rss": "rss", "max_dumps": "max_dumps",
    "min_interval": "min_interval", "escalate": "escalate", "label": "label", "tracebacks": "tracebacks",
    "tracemalloc": "tracemalloc",
}
_BOOL_KEYS = {"at_exit", "tracebacks"}
_INT_KEYS = {"keep", "max_dumps", "tracemalloc"}


def _bool(text, key):
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError("%s: expected 1/0, yes/no, true/false or on/off, not %r" % (key, text))


def parse_spec(text):
    """install() keyword arguments from "signal=USR2,atexit,every=30s,keep=5,rss=80%,dir=/x".

    Items are separated by commas; each is key=value, or a bare boolean key (atexit) meaning
    key=1. Keys: dir, signal, atexit, every, keep, rss, max_dumps, min_interval, escalate,
    label, tracebacks, tracemalloc ("-" may stand for "_"). "keep=all" / "max_dumps=none"
    remove those limits. Raises ValueError naming the bad item.
    """
    kwargs = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        name = _SPEC_KEYS.get(key.strip().lower().replace("-", "_"))
        if name is None:
            raise ValueError("unknown item %r (known: %s)" % (item, ", ".join(sorted(set(_SPEC_KEYS) - {"directory", "at_exit"}))))
        if name in kwargs:
            raise ValueError("%r given twice" % key.strip())
        value = value.strip()
        if not sep:
            if name not in _BOOL_KEYS:
                raise ValueError("%r needs a value (%s=...)" % (item, key.strip()))
            kwargs[name] = True
        elif name in _BOOL_KEYS:
            kwargs[name] = _bool(value, key)
        elif name in _INT_KEYS:
            if value.lower() in ("none", "all", "unlimited") and name != "tracemalloc":
                kwargs[name] = None
            else:
                try:
                    kwargs[name] = int(value)
                except ValueError:
                    raise ValueError("%s: expected a whole number, not %r" % (key.strip(), value)) from None
        elif name == "rss" and value.lower() in ("none", "off", ""):
            kwargs[name] = None
        else:
            kwargs[name] = value
    return kwargs


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
