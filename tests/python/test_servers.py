"""heapdiff inside the servers users run, from PyPI: gunicorn (sync and gthread workers,
with and without --preload), uvicorn workers and a Celery worker's prefork pool. The
triggers come from HEAPDIFF_TRIGGERS, as in production; a SIGUSR2 sent to one worker must
write that worker's snapshot and leave it alive, with the same pid, still serving.

gunicorn resets its workers' signals to SIG_DFL (SIGUSR2 included, whose default action
ends the process) before they serve; heapdiff's handler is set again instead
(docs/TRIGGERS.md, "Servers"). Every wait is bounded; servers listen on loopback only."""

import glob
import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import Snap

SERVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "servers")
sys.path.insert(0, SERVERS)
from procs import alive, children, free_port  # noqa: E402  (shared with bench/soak.py)
START_TIMEOUT = 60  # seconds for a server to answer its first request
DUMP_TIMEOUT = 60   # seconds for a worker's snapshot to appear
STOP_TIMEOUT = 30


def get(port, path="/"):
    """The body of one GET on loopback, or None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode()
        return body if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


class Server:
    """A server process in its own session, its output in a file; stopped with SIGTERM
    (SIGKILL after STOP_TIMEOUT) however the test ends."""

    def __init__(self, cmd, env, tmp_path):
        self.log_path = tmp_path / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=SERVERS, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def server_env(snaps, extra=""):
    env = dict(os.environ)
    env["HEAPDIFF_TRIGGERS"] = "dir=%s%s" % (snaps, extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_for(what, check, timeout, server):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if server.proc.poll() is not None:
            pytest.fail("the server exited (%s) while waiting for %s:\n%s" % (server.proc.returncode, what, server.text()))
        time.sleep(0.05)
    pytest.fail("no %s within %d s:\n%s" % (what, timeout, server.text()))


def serving_worker(port, server):
    """The pid of a worker that answered a request (so it is past its start-up)."""
    def answer():
        body = get(port)
        return int(body.split()[0]) if body else None
    return wait_for("answer on port %d" % port, answer, START_TIMEOUT, server)


def dump_worker(server, pid, snaps, workers_of):
    """SIGUSR2 to a worker: its snapshot appears, it lives on with the same pid."""
    assert pid in workers_of(), (pid, workers_of())
    os.kill(pid, signal.SIGUSR2)
    pattern = str(snaps / ("heapdiff-%d-*-signal.hds" % pid))
    path = wait_for("snapshot %s" % pattern, lambda: glob.glob(pattern), DUMP_TIMEOUT, server)[0]
    snap = Snap(path)
    assert snap.facts["pid"] == pid
    time.sleep(0.5)  # a worker killed by the signal would be gone (and replaced) by now
    assert alive(pid) and pid in workers_of(), server.text()
    return snap


GUNICORN_CASES = [("sync", False), ("sync", True), ("gthread", False), ("gthread", True)]


@pytest.mark.parametrize("worker,preload", GUNICORN_CASES, ids=["sync", "sync-preload", "gthread", "gthread-preload"])
def test_gunicorn_worker_asked_for_a_dump_writes_it_and_lives(tmp_path, worker, preload):
    port, snaps = free_port(), tmp_path / "snaps"
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", worker, "--bind",
           "127.0.0.1:%d" % port, "--graceful-timeout", "5", "wsgi_app:app"]
    if worker == "gthread":
        cmd += ["--threads", "4"]
    if preload:
        cmd.append("--preload")
    with Server(cmd, server_env(snaps), tmp_path) as server:
        pid = serving_worker(port, server)
        snap = dump_worker(server, pid, snaps, lambda: children(server.pid))
        assert snap.type_counts()["collections.OrderedDict"] >= 1  # the app's cache is in the worker's heap
        assert get(port) is not None  # still serving
        text = server.text()
        assert "heapdiff: process %d set SIGUSR2 to its default action" % pid in text, text
    assert "was sent SIGUSR2" not in text and "Traceback" not in text, text


def test_uvicorn_worker_asked_for_a_dump_writes_it_and_lives(tmp_path):
    port, snaps = free_port(), tmp_path / "snaps"
    cmd = [sys.executable, "-m", "uvicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
           "--no-access-log", "asgi_app:app"]
    with Server(cmd, server_env(snaps), tmp_path) as server:
        pid = serving_worker(port, server)
        dump_worker(server, pid, snaps, lambda: children(server.pid))
        assert get(port) is not None
        text = server.text()
    assert "Traceback" not in text, text


def test_celery_prefork_worker_asked_for_a_dump_writes_it_and_lives(tmp_path):
    snaps, broker = tmp_path / "snaps", tmp_path / "broker"
    broker.mkdir()
    env = server_env(snaps)
    env["HEAPDIFF_TEST_BROKER_DIR"] = str(broker)
    cmd = [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
           "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with Server(cmd, env, tmp_path) as server:
        pool = wait_for("the prefork pool", lambda: len(children(server.pid)) >= 2 and "ready" in server.text(),
                        START_TIMEOUT, server)
        assert pool
        # A task through the broker, run by a pool process: the pool is serving.
        sender = subprocess.run([sys.executable, "-c", "from celery_app import work; work.delay(7)"], cwd=SERVERS,
                                env=env, capture_output=True, text=True, timeout=START_TIMEOUT)
        assert sender.returncode == 0, sender.stderr
        wait_for("the task", lambda: "task 7 done in " in server.text(), START_TIMEOUT, server)
        worker = int(server.text().split("task 7 done in ")[1].split()[0])
        dump_worker(server, worker, snaps, lambda: children(server.pid))
        # The main worker process too (Celery keeps SIGUSR2 for its debugger only when asked).
        dump_worker(server, server.pid, snaps, lambda: {server.pid})
        text = server.text()
    assert "Traceback" not in text, text
