"""A large anonymous mmap: memory outside every allocator.

    python examples/memory/big_mmap.py [BEFORE AFTER]   # defaults: before.hds after.hds

Maps 256 MiB with mmap.mmap(-1, ...) and writes every page, as a program that keeps a
shared buffer or a library with its own arena would. The mmap object itself is a few dozen
bytes; its memory is neither pymalloc's nor malloc's. `heapdiff memory BEFORE AFTER` puts the
growth in anonymous mmaps (finding mmaps_grew).
"""

import mmap
import os
import sys

import heapdiff

SIZE = 256 << 20
CHUNK = 1 << 20


def main():
    before, after = sys.argv[1:3] if len(sys.argv) > 2 else ("before.hds", "after.hds")
    for path in (before, after):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    heapdiff.dump(before, label="before the mmap")
    buf = mmap.mmap(-1, SIZE)
    chunk = b"\xa5" * CHUNK
    for _ in range(SIZE // CHUNK):
        buf.write(chunk)  # every page written: resident
    del chunk
    heapdiff.dump(after, label="after mapping and writing %d bytes" % SIZE)
    print("mapped and wrote %d bytes; wrote %s, %s" % (len(buf), before, after), flush=True)


if __name__ == "__main__":
    main()
