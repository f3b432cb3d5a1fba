"""How much memory this process uses and may use: RSS from /proc, the cgroup memory limit.

Both are read without allocating much and without running the program's code, so the
RSS watchdog can call them ten times a second.
"""

import math
import os

# Where the cgroup file systems are mounted. HEAPDIFF_CGROUP_ROOT overrides it (tests build
# a fake tree there; unusual mounts can point it at the right place).
DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup"

# A cgroup v1 "no limit" is a huge page-aligned number (2^63 rounded down to a page).
_UNLIMITED = 1 << 60

try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (ValueError, OSError, AttributeError):  # pragma: no cover - every Linux has it
    _PAGE_SIZE = 4096


def rss():
    """Resident set size of this process in bytes (from /proc/self/statm), or None."""
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:
        return None
    try:
        text = os.read(fd, 256)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = text.split()
    if len(fields) < 2:
        return None
    return int(fields[1]) * _PAGE_SIZE


def machine_memory():
    """The machine's memory (MemTotal from /proc/meminfo) in bytes, or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _read_int(path):
    """The integer in a cgroup file; None when absent, unreadable or "max"."""
    try:
        with open(path, "rb") as f:
            text = f.read(64).strip()
    except (OSError, ValueError):  # ValueError: a NUL byte in HEAPDIFF_CGROUP_ROOT
        return None
    if not text.isdigit():
        return None  # "max" (v2 no limit) or garbage
    value = int(text)
    return value if value < _UNLIMITED else None


def _cgroup_paths():
    """{"v2": path, "memory": path} from /proc/self/cgroup (paths start with "/")."""
    paths = {}
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):  # ValueError: not UTF-8
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            paths["v2"] = path
        elif "memory" in controllers.split(","):
            paths["memory"] = path
    return paths


def _smallest_limit(base, path, filename):
    """The smallest limit set on the cgroup at base+path or any of its ancestors.

    Limits nest: a parent's limit applies to its children. In a container the cgroup file
    system is often mounted at the container's own cgroup while /proc/self/cgroup still
    names the host's path, so every suffix of the path is tried down to the mount itself.
    """
    parts = [p for p in path.split("/") if p]
    found = []
    for i in range(len(parts), -1, -1):
        value = _read_int(os.path.join(base, *parts[:i], filename))
        if value is not None:
            found.append(value)
    return min(found) if found else None


def cgroup_limit(root=None):
    """The memory limit of this process's cgroup (v2 memory.max, v1 memory.limit_in_bytes)
    in bytes, or None when no limit is set or no cgroup file system is mounted."""
    if root is None:
        root = os.environ.get("HEAPDIFF_CGROUP_ROOT") or DEFAULT_CGROUP_ROOT
    paths = _cgroup_paths()
    limits = []
    if "v2" in paths:
        # Unified mount at the root, or (hybrid layouts) at root/unified.
        for base in (root, os.path.join(root, "unified")):
            if os.path.exists(os.path.join(base, "cgroup.controllers")):
                limit = _smallest_limit(base, paths["v2"], "memory.max")
                if limit is not None:
                    limits.append(limit)
                break
    if "memory" in paths:
        limit = _smallest_limit(os.path.join(root, "memory"), paths["memory"], "memory.limit_in_bytes")
        if limit is not None:
            limits.append(limit)
    return min(limits) if limits else None


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
