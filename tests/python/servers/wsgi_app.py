"""A WSGI app for the server tests and bench/soak.py: each request allocates, and a bounded
cache keeps the last CACHE responses (a service's working set, not a leak). The body is the
worker's pid, so a client can tell which worker answered."""

import collections
import os

CACHE = 2000
_cache = collections.OrderedDict()
_served = 0


def app(environ, start_response):
    global _served
    _served += 1
    key = environ.get("PATH_INFO", "/") + "?" + environ.get("QUERY_STRING", "")
    _cache[key] = [{"n": i, "text": "item-%d" % i} for i in range(20)]
    _cache.move_to_end(key)
    while len(_cache) > CACHE:
        _cache.popitem(last=False)
    body = ("%d %d\n" % (os.getpid(), _served)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
