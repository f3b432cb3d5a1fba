"""glibc's per-thread arenas: memory freed by the program that malloc keeps, resident.

    python examples/memory/glibc_arenas.py [BEFORE AFTER]   # defaults: before.hds after.hds

8 threads start together; each allocates 6,000 bytes objects of 1-16 KiB (larger than
pymalloc's 512-byte limit, so each is a malloc() in that thread's own glibc arena), then
frees all but every 50th. The survivors stay (kept in SURVIVORS after the threads end) and are
spread over each arena's heap, so glibc cannot trim the heaps: ~2% of the memory is live and
the rest is free chunks that glibc holds for reuse. `heapdiff memory BEFORE AFTER` puts it in
malloc free space (finding malloc_free, with MALLOC_ARENA_MAX and malloc_trim as the next
step). Run with MALLOC_ARENA_MAX=1 to see the difference the arenas make.
"""

import os
import random
import sys
import threading

import heapdiff

THREADS = 8
OBJECTS = 6000  # per thread
KEEP_EVERY = 50
SURVIVORS = []  # every thread's survivors, kept after the threads end


def work(seed, start, out):
    rng = random.Random(seed)
    start.wait()  # all threads alive at once: each gets an arena of its own
    # b"\x01" * n writes every byte (bytes(n) would calloc, and a fresh heap's pages might
    # never be touched).
    objs = [b"\x01" * rng.randint(1024, 16384) for _ in range(OBJECTS)]
    out.extend(objs[::KEEP_EVERY])
    del objs


def main():
    before, after = sys.argv[1:3] if len(sys.argv) > 2 else ("before.hds", "after.hds")
    for path in (before, after):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    heapdiff.dump(before, label="before the threads")
    start = threading.Barrier(THREADS)
    kept = [[] for _ in range(THREADS)]
    threads = [threading.Thread(target=work, args=(k, start, kept[k])) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for survivors in kept:
        SURVIVORS.extend(survivors)
    heapdiff.dump(after, label="after %d threads freed all but every %dth" % (THREADS, KEEP_EVERY))
    print("%d threads kept %d objects, %d bytes; wrote %s, %s"
          % (THREADS, len(SURVIVORS), sum(map(len, SURVIVORS)), before, after), flush=True)


if __name__ == "__main__":
    main()
