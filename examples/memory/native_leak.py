"""A native leak: C code that mallocs per request and never frees, invisible to tracemalloc.

    python examples/memory/native_leak.py [BEFORE AFTER] [--requests N]   # defaults: before.hds after.hds, 20480

Each "request" calls libc's malloc(4096) through ctypes, as a C extension or a library it
wraps would, fills the block (so its pages are resident) and drops the pointer: 20,480
requests leak 80 MiB that no Python object holds and tracemalloc never sees (it traces
Python's allocators only). Between the snapshots the walked objects do not grow; `heapdiff
memory BEFORE AFTER` puts the growth in native allocations (finding native_grew), and `heapdiff
diff BEFORE AFTER` says so instead of asking for tracemalloc.
"""

import argparse
import ctypes
import ctypes.util
import os

import heapdiff

BLOCK = 4096

libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.memset.restype = ctypes.c_void_p
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]


def handle(request):
    """The library's request handler: its scratch buffer is never freed (the leak)."""
    buf = libc.malloc(BLOCK)
    libc.memset(buf, 0x5A, BLOCK)  # touched: resident, as a buffer that was used
    return len(request)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before", nargs="?", default="before.hds")
    parser.add_argument("after", nargs="?", default="after.hds")
    parser.add_argument("--requests", type=int, default=20480)
    args = parser.parse_args()
    before, after = args.before, args.after
    for path in (before, after):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    for n in range(100):  # warm-up: ctypes' caches, the handler's code
        handle("warm-up %d" % n)
    heapdiff.dump(before, label="after 100 requests")
    for n in range(args.requests):
        handle("GET /item/%d" % n)
    heapdiff.dump(after, label="after %d more requests" % args.requests)
    print("leaked %d bytes in %d blocks of %d; wrote %s, %s"
          % (args.requests * BLOCK, args.requests, BLOCK, before, after), flush=True)


if __name__ == "__main__":
    main()
