"""A toy request-handling service with a slow leak, to show what heapdiff finds.

    python examples/leaky_service.py [REQUESTS] [OUT_DIR]

Handles REQUESTS requests (default 5000) and writes OUT_DIR/leak-1.hds ("after warm-up"),
then handles REQUESTS more and writes OUT_DIR/leak-2.hds (OUT_DIR defaults to "out").
Every request allocates short-lived dicts, lists and strings that are freed again, and one
Response that leakylib.cache never lets go of. Between the two snapshots the heap grows by
REQUESTS Response objects and their payloads; everything else stays flat.
"""
import argparse
import json
import os
import tracemalloc

# First thing, so that objects allocated from here on carry a 25-frame allocation traceback
# in the snapshots (heapdiff.dump(tracebacks=True) reads them from tracemalloc).
tracemalloc.start(25)

import heapdiff  # noqa: E402
from leakylib import cache  # noqa: E402
from leakylib.http import Request, Response  # noqa: E402

ROUTES = ["/users/42", "/orders?limit=10&status=open", "/search?q=heap+growth", "/health"]
PAYLOAD_SIZE = 1024


def parse(raw):
    """'GET /path?a=1&b=2' -> Request; the split lists and params dict are transient."""
    method, target = raw.split(" ", 1)
    path, _, query = target.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    return Request(method, path, params)


def render(request, seq):
    """Build a JSON body from some rows: a burst of temporary dicts, lists and strings."""
    rows = [{"id": seq * 10 + i, "name": "item-%d" % i, "tags": ["a", "b", str(i)]} for i in range(8)]
    body = json.dumps({"path": request.path, "params": request.params, "rows": rows}).encode()
    return body.ljust(PAYLOAD_SIZE)[:PAYLOAD_SIZE]


def handle(request, seq):
    response = cache.lookup(request.path) if request.params.get("cached") else None
    if response is None:
        response = Response(200, {"content-type": "application/json", "x-seq": str(seq)},
                            render(request, seq))
        cache.remember(request.path, response)
    return response


def serve(first, count):
    sent = 0
    for seq in range(first, first + count):
        request = parse("GET " + ROUTES[seq % len(ROUTES)])
        sent += len(handle(request, seq).payload)
    return sent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", nargs="?", type=int, default=5000, help="requests per phase")
    parser.add_argument("out_dir", nargs="?", default="out", help="where the .hds snapshots go")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    serve(0, args.requests)
    first = heapdiff.dump(os.path.join(args.out_dir, "leak-1.hds"), label="after warm-up")
    print("served %d requests, wrote %s" % (args.requests, first))

    serve(args.requests, args.requests)
    second = heapdiff.dump(os.path.join(args.out_dir, "leak-2.hds"),
                           label="after %d requests" % (2 * args.requests))
    print("served %d requests, wrote %s" % (2 * args.requests, second))


if __name__ == "__main__":
    main()
