"""Whether a trigger's dump may be forked: the copy must fit in the memory left.

A forked copy costs the pages either process writes while the child walks (each write
copies one page; docs/PROBE.md, "Forked dumps"), plus the child's own bookkeeping. The
estimate used before forking is explicit and deliberately pessimistic for a busy
service: a quarter of the RSS (the parent rewriting that much of its heap during one
walk) plus 64 MiB for the child's tables and the writer's buffers. bench/bench_pause.py
measures the real cost (1M and 10M objects: the child's Private_Dirty).
"""

import os

from heapdiff import _memory, _probe

COPY_FRACTION = 0.25
CHILD_OWN_BYTES = 64 << 20


def copy_estimate(rss):
    return int(rss * COPY_FRACTION) + CHILD_OWN_BYTES


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except OSError:
        return None


def _meminfo(field, text):
    for line in text.splitlines():
        if line.startswith(field + ":"):
            try:
                return int(line.split()[1]) * 1024
            except (IndexError, ValueError):
                return None
    return None


def why_not_fork(proc="/proc"):
    """None when a forked dump fits, else one line saying why not (for the log)."""
    rss = _memory.rss()
    if rss is None:
        return None  # nothing known: fork() itself says when it cannot
    need = copy_estimate(rss)
    fmt = _memory.format_size
    root = os.environ.get("HEAPDIFF_CGROUP_ROOT") or _memory.DEFAULT_CGROUP_ROOT
    try:
        figures = _probe.process_memory(root)
    except ValueError:
        figures = {}
    limit, current = figures.get("cgroup_limit"), figures.get("cgroup_current")
    if limit is not None and current is not None and limit - current < need:
        return ("the cgroup has %s left of %s and a forked copy may need %s (a quarter of the RSS %s + %s)"
                % (fmt(max(0, limit - current)), fmt(limit), fmt(need), fmt(rss), fmt(CHILD_OWN_BYTES)))
    mode = (_read(os.path.join(proc, "sys/vm/overcommit_memory")) or "").strip()
    if mode == "2":
        # Strict accounting: fork() commits the parent's whole private writable memory.
        info = _read(os.path.join(proc, "meminfo")) or ""
        commit_limit, committed = _meminfo("CommitLimit", info), _meminfo("Committed_AS", info)
        if commit_limit is not None and committed is not None and commit_limit - committed < rss:
            return ("vm.overcommit_memory is 2 and only %s can still be committed: fork() would commit "
                    "about the RSS (%s)" % (fmt(max(0, commit_limit - committed)), fmt(rss)))
    return None
