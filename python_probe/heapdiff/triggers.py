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

The pieces live beside it: the option table and its checks in _trigger_options, the RSS
plan in _rss_plan, the installed triggers at work in _trigger_runtime, HEAPDIFF_TRIGGERS
in _trigger_env. This module is the public face: every name below is one of theirs.
"""

# POLL_SECONDS and EXIT_WAIT_SECONDS are read where they are used: change them in
# heapdiff._trigger_runtime; install()'s state (_active) lives there too. The two private
# checks are here for the tests that call them as heapdiff.triggers' own.
from heapdiff._rss_plan import RssPlan  # noqa: F401
from heapdiff._trigger_env import install_from_environment as _install_from_environment  # noqa: F401
from heapdiff._trigger_options import (  # noqa: F401
    MAX_TRACEMALLOC_FRAMES,
    OPTIONS,
    Option,
    _check_escalate,
    _parse_seconds,
    option_from_text,
    parse_bool,
    parse_spec,
)
from heapdiff._trigger_runtime import EXIT_WAIT_SECONDS, POLL_SECONDS, install, uninstall  # noqa: F401

__all__ = ["install", "uninstall"]
