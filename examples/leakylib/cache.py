"""Response caching for the service, with the bug this demo is about.

`_recent` is a proper bounded cache. `_debug_history` was added "for debugging" while
chasing a rendering problem and never removed: it keeps every response ever served, so the
process grows by one Response (plus its headers dict and ~1 KiB payload) per request.
"""
from collections import OrderedDict

MAX_RECENT = 64

_recent = OrderedDict()  # path -> last Response for it, at most MAX_RECENT entries
_debug_history = []      # every Response ever served: the leak


def remember(path, response):
    _recent[path] = response
    _recent.move_to_end(path)
    while len(_recent) > MAX_RECENT:
        _recent.popitem(last=False)
    _debug_history.append(response)  # "temporary", for debugging


def lookup(path):
    return _recent.get(path)
