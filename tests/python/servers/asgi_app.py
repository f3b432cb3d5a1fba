"""The ASGI twin of wsgi_app.py (uvicorn): the same bounded cache, the worker's pid as body."""

import collections
import os

CACHE = 2000
_cache = collections.OrderedDict()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    key = scope.get("path", "/") + "?" + scope.get("query_string", b"").decode()
    _cache[key] = [{"n": i, "text": "item-%d" % i} for i in range(20)]
    _cache.move_to_end(key)
    while len(_cache) > CACHE:
        _cache.popitem(last=False)
    body = ("%d\n" % os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
