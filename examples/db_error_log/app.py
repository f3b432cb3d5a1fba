"""The application under test: each request runs against a fresh in-memory database."""
import sys

import errorlog

PAGE = 64 * 1024  # each DB keeps a page cache: what makes a leaked DB expensive


class DB:
    """An in-memory object database, like the ZODB one a functional test layer opens."""

    def __init__(self, name, pages):
        self.name = name
        self.tables = {"users": {7: {"name": "marius", "roles": ["admin"]}}}
        self.cache = bytearray(pages * PAGE)

    def get(self, table, key):
        return self.tables[table][key]  # KeyError for a missing row


def route(db, path):
    if path.startswith("/users/"):
        user = db.get("users", int(path.split("/")[2]))
        return 200, user["name"]
    return 200, "index"


def handle_request(path, pages):
    db = DB("test:" + path, pages)  # a fresh database for this request
    try:
        return route(db, path)
    except Exception:
        # The error page shows the error later; errorlog keeps sys.exc_info() until then.
        # Its traceback's first frame is this one, and this frame's local 'db' is the DB.
        errorlog.report(sys.exc_info())
        return 500, "internal error"
