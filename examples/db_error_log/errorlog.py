"""The application's error log, as zope.app.error had it: every error a request raises is
kept in a module-level list until someone looks at the error page or calls _clear().

The bug: an entry keeps the traceback object itself, and a traceback keeps the frames it
passed through, with all their local variables, alive as long as the entry exists.
"""
import time

_temp_logs = []  # one dict per error; nothing ever trims it


def report(exc_info):
    """Remember an error, from sys.exc_info() inside an except block."""
    exc_type, value, tb = exc_info
    _temp_logs.append({
        "time": time.time(),
        "type": exc_type.__name__,
        "value": value,
        "tb": tb,  # keeps tb.tb_frame, and every local of that frame, alive
    })


def _clear():
    """What a test tear-down should call (and the suite below forgets to)."""
    del _temp_logs[:]
