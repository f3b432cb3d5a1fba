"""pymalloc fragmentation: memory that is free inside Python's allocator and still resident.

    python examples/memory/fragmentation.py [BEFORE AFTER]   # defaults: before.hds after.hds

Makes 1,200,000 small records, each a tuple of a fresh str and an int (3.6M small objects,
all in pymalloc's pools), then frees 95% of them at random. The 5% that survive are spread
over every pool, so almost no pool, and no arena, becomes empty: pymalloc can return an arena
to the system only when none of its blocks is in use. RSS stays near its peak while the live
objects are a twentieth of it. Nothing leaks: the process reuses that free space for its next
small objects. `heapdiff memory BEFORE AFTER` names it (pymalloc free space, finding
pymalloc_fragmentation).
"""

import os
import random
import sys

import heapdiff

RECORDS = 1_200_000
KEEP = RECORDS // 20  # 5% survive


def make_records(n):
    # "record-00000042" is 15 ASCII characters: a 64-byte str; the 2-tuple is 56 bytes (a
    # 64-byte block) and the int 28 (32): ~160 bytes per record in three size classes.
    return [("record-%08d" % i, i + 1000) for i in range(n)]


def main():
    before, after = sys.argv[1:3] if len(sys.argv) > 2 else ("before.hds", "after.hds")
    for path in (before, after):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    heapdiff.dump(before, label="before the records")
    records = make_records(RECORDS)
    rng = random.Random(24)
    survivors = [records[i] for i in rng.sample(range(RECORDS), KEEP)]
    del records  # 95% of the tuples, strs and ints go back to pymalloc's free lists
    heapdiff.dump(after, label="after freeing 95%% of %d records" % RECORDS)
    print("kept %d of %d records; wrote %s, %s" % (len(survivors), RECORDS, before, after), flush=True)


if __name__ == "__main__":
    main()
