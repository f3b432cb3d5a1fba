"""HEAPDIFF_TRIGGERS: the triggers a process asks for in its environment, installed at
start-up by heapdiff-triggers.pth (through heapdiff.triggers._install_from_environment).
"""

import os

from heapdiff._trigger_options import parse_spec
from heapdiff._trigger_runtime import install, log

_ENV = "HEAPDIFF_TRIGGERS"
_environment_done = False  # HEAPDIFF_TRIGGERS was handled in this process


def install_from_environment():
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
        log("%s ignored, no triggers installed: %s" % (_ENV, e))
        return None
