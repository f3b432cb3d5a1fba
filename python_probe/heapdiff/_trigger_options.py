"""The trigger options, declared once, and their checks: install()'s keywords, the text
HEAPDIFF_TRIGGERS and `python -m heapdiff run` spell them in ("signal=USR2,every=30s,..."),
and the check that turns each into what the triggers use. Nothing here installs anything.
"""

import collections
import math
import os
import signal as _signal
import threading

from heapdiff import _memory
from heapdiff._rss_plan import plan_rss

# tracemalloc keeps at most this many frames per traceback (3.9+ refuse more; one limit
# for every version).
MAX_TRACEMALLOC_FRAMES = 65535


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


def signal_name(signum):
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
    reason = _UNSUITABLE_SIGNALS.get(signal_name(signum))
    if reason is not None:
        raise ValueError("signal %s cannot trigger dumps: it %s (use SIGUSR1, SIGUSR2 or a real-time signal)"
                         % (signal_name(signum), reason))
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
    Option("fork", _flag_check("fork"), parse_bool, ("fork",), "--no-fork",
           "walk the process itself, not a forked copy (the program pauses for the whole walk)"),
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
    label, tracebacks, tracemalloc, fork ("-" may stand for "_"). "keep=all" / "max_dumps=none"
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


class Config:
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
        self.fork = checked.get("fork", True)
        self.tracemalloc_frames = checked["tracemalloc"]
        self.rss = plan_rss(checked["rss"], checked["escalate"])
        if self.signum is not None and threading.current_thread() is not threading.main_thread():
            raise ValueError("install(signal=...) must be called from the main thread (or pass signal=None)")
