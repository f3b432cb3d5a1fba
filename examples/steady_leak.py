"""A long-running poller that leaks ~50 KiB per iteration inside a third-party library.

    python examples/steady_leak.py [ITERATIONS] [OUT_DIR] [--warmup W]

Runs W warm-up iterations (default 20) and writes OUT_DIR/steady-1.hds, then ITERATIONS
more (default 200) and writes OUT_DIR/steady-2.hds, then ITERATIONS more and writes
OUT_DIR/steady-3.hds (OUT_DIR defaults to "out"). Every iteration polls one URL through
thirdparty.sessions and digests the response; the digest and the library's per-request
objects are freed again, but thirdparty/sessions.py keeps every response body (50 KiB) in a
module-level cache. Between two snapshots the heap grows by ITERATIONS x 50 KiB, all of it
allocated at one line of the library.
"""
import argparse
import os
import tracemalloc

# First thing, so that objects allocated from here on carry a 25-frame allocation traceback.
tracemalloc.start(25)

import heapdiff  # noqa: E402
from thirdparty import sessions  # noqa: E402

URLS = [
    "https://inventory.internal/api/v2/stock?warehouse=north",
    "https://inventory.internal/api/v2/stock?warehouse=south",
    "https://inventory.internal/api/v2/orders?status=open",
]


def digest(response):
    """What the application does with a response: transient lists, dicts and strings."""
    lines = [response.content[i:i + 512] for i in range(0, len(response.content), 512)]
    stats = {"url": response.url, "lines": len(lines), "empty": sum(1 for l in lines if not l.strip(b"\0"))}
    return "%(url)s: %(lines)d lines, %(empty)d empty" % stats


def poll(session, iteration):
    response = session.get(URLS[iteration % len(URLS)])
    return len(digest(response))


def run(session, first, count):
    """The service loop: iterations first .. first + count - 1."""
    received = 0
    for iteration in range(first, first + count):
        received += poll(session, iteration)
    return received


def snapshot(out_dir, k, done):
    # collect=True: a full gc.collect() first, so that garbage cycles waiting for the
    # collector (argparse leaves some) do not show up as objects freed between snapshots.
    path = heapdiff.dump(os.path.join(out_dir, "steady-%d.hds" % k), label="after %d iterations" % done,
                         collect=True)
    # Flushed now: a line waiting in stdout's buffer would be one more object that
    # survives from one snapshot to the next.
    print("iteration %d, wrote %s" % (done, path), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("iterations", nargs="?", type=int, default=200,
                        help="iterations between snapshots (default 200)")
    parser.add_argument("out_dir", nargs="?", default="out", help="where the .hds snapshots go")
    parser.add_argument("--warmup", type=int, default=20, help="iterations before the first snapshot (default 20)")
    args = parser.parse_args()
    if args.iterations < 1 or args.warmup < 0:
        parser.error("ITERATIONS must be at least 1 and --warmup at least 0")
    os.makedirs(args.out_dir, exist_ok=True)
    w, n = args.warmup, args.iterations

    # Each phase runs from its own line, so objects allocated in different phases have
    # different allocation tracebacks. heapdiff tells objects apart by address, type and
    # traceback: were the tracebacks equal, a PreparedRequest freed after snapshot 2 whose
    # memory is reused by a new PreparedRequest before snapshot 3 would pass for a survivor.
    session = sessions.Session()
    run(session, 1, w)
    snapshot(args.out_dir, 1, w)
    run(session, w + 1, n)
    snapshot(args.out_dir, 2, w + n)
    run(session, w + n + 1, n)
    snapshot(args.out_dir, 3, w + 2 * n)


if __name__ == "__main__":
    main()
