"""Request and response objects, as a web framework would hand them to a handler."""


class Request:
    def __init__(self, method, path, params):
        self.method = method
        self.path = path
        self.params = params


class Response:
    """A rendered response: status, headers and a ~1 KiB body."""

    def __init__(self, status, headers, payload):
        self.status = status
        self.headers = headers
        self.payload = payload

    def __repr__(self):
        return "<Response %d, %d bytes>" % (self.status, len(self.payload))
