"""How much memory this process uses and may use: RSS, the cgroup memory limit.

Both are read by the process room's C++ readers (process/, through _probe.process_memory),
the one copy the probe, attach and the analyzer share: without allocating much and without
running the program's code, so the RSS watchdog can call them ten times a second.
"""

import math
import os

from heapdiff import _probe

# Where the cgroup file systems are mounted. HEAPDIFF_CGROUP_ROOT overrides it (tests build
# a fake tree there; unusual mounts can point it at the right place).
DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup"


def rss():
    """Resident set size of this process in bytes (from /proc/self/statm), or None. One file
    read: the RSS watchdog calls it ten times a second."""
    return _probe.resident_bytes()


def machine_memory():
    """The machine's memory (MemTotal from /proc/meminfo) in bytes, or None."""
    return _probe.process_memory()["machine_memory"]


def cgroup_limit(root=None):
    """The memory limit of this process's cgroup (v2 memory.max, v1 memory.limit_in_bytes)
    in bytes, or None when no limit is set or no cgroup file system is mounted.

    Limits nest (a parent's limit applies to its children), so this is the smallest set on
    the cgroup or an ancestor, every suffix of its path tried down to the mount."""
    if root is None:
        root = os.environ.get("HEAPDIFF_CGROUP_ROOT") or DEFAULT_CGROUP_ROOT
    try:
        return _probe.process_memory(root)["cgroup_limit"]
    except ValueError:  # a NUL byte in HEAPDIFF_CGROUP_ROOT
        return None


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1000**2,
          "mib": 1 << 20, "g": 1 << 30, "gb": 1000**3, "gib": 1 << 30, "t": 1 << 40, "tb": 1000**4,
          "tib": 1 << 40}


def parse_size(value):
    """Bytes from an int or a string like "2GiB", "512M", "1.5 GB" (K/M/G/T alone are binary).

    TypeError for what is neither a number nor a str; ValueError for a size that is not
    positive and finite ("inf", "nan", 1e400 and 0 are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError("a size must be a number of bytes or a string like '2GiB', not %r" % (value,))
    if isinstance(value, str):
        size = _size_from_text(value)
    else:
        size = value
    if not math.isfinite(size) or size <= 0:
        raise ValueError("a size must be positive and finite, not %r" % (value,))
    return int(size)


def _size_from_text(value):
    text = value.strip().lower().replace(" ", "")
    number = text.rstrip("kmgtib")
    unit = text[len(number):]
    if unit not in _UNITS or not number:
        raise ValueError("bad size %r: expected bytes or a number with K, M, G, T, KiB, MB, ..." % (value,))
    try:
        return float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError("bad size %r" % (value,)) from None


def format_size(n):
    """1.2 GiB, 340.0 MiB, 12.0 KiB, 512 B."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return "%.1f %s" % (n / scale, unit)
    return "%d B" % n
