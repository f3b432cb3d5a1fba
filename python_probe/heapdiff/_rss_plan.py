"""The RSS trigger's plan: rss=80% (or bytes) into a first byte threshold, from the cgroup
memory limit or the machine's memory (read through heapdiff._memory), and how the
threshold moves up after each dump.
"""

import collections
import sys

from heapdiff import _memory

RssPlan = collections.namedtuple("RssPlan", "threshold limit limit_source escalation")


def plan_rss(rss, escalation):
    """The RSS trigger's first threshold, the limit it escalates towards and how, read
    once at install (the cgroup limit, else the machine's memory for a percentage)."""
    if rss is None:
        return None
    limit = _memory.cgroup_limit()
    source = "cgroup memory limit" if limit is not None else None
    kind, amount = rss
    if kind == "fraction":
        if limit is None:
            limit, source = _memory.machine_memory(), "machine memory"
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


def next_threshold(escalation, limit, base):
    """The threshold after an RSS dump taken at `base` bytes: halfway from there to `limit`,
    or `base` grown by the plan's fraction."""
    kind, fraction = escalation
    if kind == "halfway":
        return base + max(1, (limit - base) // 2) if base < limit else base + 1
    # A huge fraction gives a threshold no process reaches, never an overflow.
    return int(min(base * (1 + fraction), float(sys.maxsize))) + 1
