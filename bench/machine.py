"""How busy the rest of the machine is, for the benchmarks (Linux /proc)."""

import os
import sys
import time


def cpu_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    total = sum(fields)
    return total - fields[3] - fields[4], total


def others_cores(ticks0, ticks1, own_cpu, wall):
    """Cores the rest of the machine kept busy while a block ran: machine-wide busy
    cores minus the CPU seconds per second of the process(es) measured. Near 0 on a
    quiet machine; on 2 cores, anything near 1 or above means the timing shared the CPU."""
    busy, total = ticks1[0] - ticks0[0], ticks1[1] - ticks0[1]
    if total <= 0 or wall <= 0:
        return 0.0
    return max(0.0, busy / total * os.cpu_count() - own_cpu / wall)


def wait_quiet(max_wait, threshold=0.3, window=3.0):
    """Wait (at most max_wait seconds) until other processes keep less than `threshold`
    cores busy over a `window`-second sample. Returns the last sample."""
    deadline = time.monotonic() + max_wait
    busy = 0.0
    while True:
        t0 = cpu_ticks()
        time.sleep(window)
        busy = others_cores(t0, cpu_ticks(), 0.0, window)
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        print("  machine busy (%.1f cores used by others), waiting..." % busy, file=sys.stderr, flush=True)
