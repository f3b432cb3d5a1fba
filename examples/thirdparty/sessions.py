"""A small HTTP-client-like library, with the kind of leak that hides in a dependency.

`Session.get(url)` "fetches" a URL (the network is simulated: the body arrives as 50 chunks
of 1 KiB that are joined into one 50 KiB `bytes` and then dropped) and returns a `Response`.

The bug: for ETag revalidation the library memoises every response in the module-level
`_revalidation_cache`, keyed by (url, request id). The request id is new for every request,
so no entry is ever looked up again, replaced or evicted: each call keeps its Response, its
headers dict, its key and its ~50 KiB body forever. Everything else a request allocates --
the chunks, the request headers, the PreparedRequest, which `Session.history` keeps only
for the last HISTORY requests -- is freed again.
"""
import collections

CHUNK_SIZE = 1024
BODY_CHUNKS = 50  # a body is 50 KiB
HISTORY = 16

_revalidation_cache = {}  # (url, request id) -> Response, never read back: the leak


class PreparedRequest:
    """What goes on the wire: method, url, headers and a unique request id."""

    __slots__ = ("method", "url", "headers", "request_id")

    def __init__(self, method, url, headers, request_id):
        self.method = method
        self.url = url
        self.headers = headers
        self.request_id = request_id


class Response:
    __slots__ = ("url", "status", "headers", "content")

    def __init__(self, url, status, headers, content):
        self.url = url
        self.status = status
        self.headers = headers
        self.content = content

    def __repr__(self):
        return "<Response [%d] %s, %d bytes>" % (self.status, self.url, len(self.content))


class Session:
    def __init__(self):
        self.history = collections.deque(maxlen=HISTORY)  # bounded: churn, not a leak
        self._requests = 0

    def prepare(self, method, url):
        self._requests += 1
        headers = {"accept": "application/json", "user-agent": "thirdparty-sessions/2.3"}
        return PreparedRequest(method, url, headers, "req-%d" % self._requests)

    def _receive(self, request):
        """The simulated network: the body, 1 KiB at a time."""
        return [bytes(CHUNK_SIZE) for _ in range(BODY_CHUNKS)]

    def get(self, url):
        request = self.prepare("GET", url)
        self.history.append(request)
        chunks = self._receive(request)
        content = b"".join(chunks)  # the 50 KiB body that _revalidation_cache keeps
        response = Response(url, 200, {"content-type": "application/json", "etag": "W/0"}, content)
        _revalidation_cache[(url, request.request_id)] = response
        return response
