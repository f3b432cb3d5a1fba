"""A service that never imports heapdiff, for `heapdiff attach` (README: "Snapshot a
running process").

    python examples/running_service.py &
    heapdiff attach $! -o before.hds; sleep 10; heapdiff attach $! -o after.hds

Handles a request every 2 ms forever. Each request opens a Session and closes it again,
but `close()` forgets to remove it from the module-level SESSIONS registry: the registry
(and every session's history) grows by ~500 entries a second.
"""
import itertools
import time


class Session:
    def __init__(self, sid, user):
        self.sid = sid
        self.user = user
        self.history = []
        self.open = True

    def close(self):
        self.open = False  # the bug: SESSIONS.pop(self.sid) is missing


SESSIONS = {}


def handle(n):
    session = Session(n, "user-%d" % (n % 97))
    SESSIONS[session.sid] = session
    session.history.append("GET /items/%d?page=%d" % (n, n % 7))
    session.close()


def main():
    for n in itertools.count():
        handle(n)
        time.sleep(0.002)


if __name__ == "__main__":
    main()
