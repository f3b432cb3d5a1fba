"""The dump signal survives a server's reset of its workers' signals.

Pre-fork servers set up each worker's signals wholesale, SIGUSR2 among them: gunicorn's
workers start with `signal.signal(s, SIG_DFL)` for a list of signals, and Celery's prefork
pool (billiard) sets its terminate handler for every signal that would end the process.
Either way `kill -USR2 <worker>`, the way to ask a worker for a dump, ended the worker.
Once triggers are installed, such a reset of their signal through `signal.signal` sets
heapdiff's handler instead, and says so once per process. Any other handler the program
sets wins (the dump signal is then the program's, as before), and `uninstall()` gives the
signal back. Signals that heapdiff itself sets go through `set_handler`, never the guard.
"""

import os
import signal as _signal

_real_signal = _signal.signal  # the one signal.signal had when heapdiff was imported
_guard = None  # (signum, handler, on_reset) while triggers hold a signal
_noted_pid = None  # the process that logged the reset already


def set_handler(signum, handler):
    """signal.signal itself, for heapdiff's own changes of its signal."""
    return _real_signal(signum, handler)


def guard(signum, handler, on_reset):
    """From now on a wholesale reset of `signum` (SIG_DFL, a server's terminate handler)
    installs `handler` and calls `on_reset(signum, what_was_asked)` (once per process)."""
    global _guard
    _guard = (int(signum), handler, on_reset)
    if _signal.signal is not _guarded_signal:
        _signal.signal = _guarded_signal


def unguard(handler):
    """Stop guarding, if `handler` is still the guarded one."""
    global _guard
    if _guard is not None and _guard[1] == handler:
        _guard = None


# Handlers that servers set for every terminating signal at a worker's start: (module,
# name) -> what to call it in the log line.
_WHOLESALE_HANDLERS = {("billiard.common", "_shutdown_cleanup"): "the prefork pool's terminate handler"}


def _wholesale(handler):
    """What to call `handler` when it is a wholesale reset (SIG_DFL or a server's), or None."""
    if handler == _signal.SIG_DFL:
        return "its default action"
    key = (getattr(handler, "__module__", None), getattr(handler, "__name__", None))
    return _WHOLESALE_HANDLERS.get(key)


def _guarded_signal(signalnum, handler):
    global _noted_pid
    current = _guard
    what = _wholesale(handler) if current is not None else None
    if what is not None:
        try:
            number = int(signalnum)
        except (TypeError, ValueError):
            number = None
        if number == current[0]:
            previous = _real_signal(signalnum, current[1])
            if _noted_pid != os.getpid():
                _noted_pid = os.getpid()
                current[2](number, what)
            return previous
    return _real_signal(signalnum, handler)


_guarded_signal.__doc__ = _real_signal.__doc__
_guarded_signal.__name__ = getattr(_real_signal, "__name__", "signal")
_guarded_signal.__qualname__ = getattr(_real_signal, "__qualname__", "signal")
_guarded_signal.__module__ = getattr(_real_signal, "__module__", "signal")
_guarded_signal.__wrapped__ = _real_signal
