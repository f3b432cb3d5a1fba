"""A real service under load while heapdiff works on it (issue 26): the soak.

    python bench/soak.py [--seconds 600] [--workers 3] [--connections 16] [--dir DIR]

The service is gunicorn (sync workers) serving tests/python/servers/wsgi_app.py, whose
requests allocate and keep a bounded cache; the load is wrk on loopback, with a Lua script
that spreads the requests over 5,000 paths. The same service runs twice, each time for half
of --seconds under the same load:

  baseline  no heapdiff at all;
  heapdiff  HEAPDIFF_TRIGGERS="every=5s,keep=3" (forked dumps: the triggers' default),
            SIGUSR2 to every worker every 10 s, and `heapdiff attach PID --fork` of every
            worker every 30 s, as production users will.

It prints the requests sent, those that failed (goal 0) and the p50/p99 latency of each
run, the snapshots written and how many `heapdiff summary` could read (goal all), the disk
they take against the rotation's bound, the workers that died (goal none) and the workers'
RSS drift that heapdiff caused (their growth in the heapdiff run less their growth in the
baseline run), then one JSON line with every figure. Every wait and loop is bounded in
time. Needs wrk (Debian's package), gunicorn, and gdb for attach on 3.8-3.13.
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
APP_DIR = os.path.join(HERE, "..", "tests", "python", "servers")
sys.path.insert(0, APP_DIR)
from procs import children, free_port, rss  # noqa: E402  (beside the apps)
KEEP = 3
EVERY = "5s"
SIGNAL_EVERY = 10.0
ATTACH_EVERY = 30.0
START_TIMEOUT = 60.0

LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/item/" .. (counter % 5000))
end
"""


def heapdiff_command():
    beside = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    return beside if os.access(beside, os.X_OK) else shutil.which("heapdiff")


class Service:
    """gunicorn with `workers` sync workers on a loopback port, its log in a file."""

    def __init__(self, workers, env, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "wb")
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", "127.0.0.1:%d" % self.port,
               "--graceful-timeout", "10", "--timeout", "60", "wsgi_app:app"]
        self.proc = subprocess.Popen(cmd, cwd=APP_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("gunicorn exited at start:\n" + self.text())
            if len(children(self.proc.pid)) >= workers and self._answers():
                break
            time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer within %d s:\n%s" % (START_TIMEOUT, self.text()))
        # Each worker answers once before the load, so every one is past its start-up.
        deadline = time.monotonic() + START_TIMEOUT
        seen = set()
        while time.monotonic() < deadline and len(seen) < workers:
            body = self._answers()
            if body:
                seen.add(int(body.split()[0]))
        self.workers = sorted(children(self.proc.pid))

    def _answers(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/warm" % self.port, timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.log.close()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(text):
    """Requests, failures and latency percentiles (ms) from `wrk --latency`."""
    def number(pattern, default=0):
        m = re.search(pattern, text)
        return int(m.group(1)) if m else default

    out = {"requests": number(r"(\d+) requests in"), "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)")}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+([\d.]+)(us|ms|s)\s*$" % pct, text, re.M)
        out["p%s_ms" % pct] = float(m.group(1)) * UNITS[m.group(2)] if m else None
    out["failed"] = out["non_2xx"] + out["socket_errors"]
    return out


def load(port, seconds, connections, lua_path):
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", "%ds" % seconds, "--latency", "--timeout", "10s",
           "-s", lua_path, "http://127.0.0.1:%d/" % port]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0:
        raise SystemExit("wrk failed: " + proc.stderr)
    return parse_wrk(proc.stdout), proc.stdout


def run_once(name, args, lua_path, snaps, with_heapdiff):
    env = dict(os.environ)
    env.pop("HEAPDIFF_TRIGGERS", None)
    if with_heapdiff:
        env["HEAPDIFF_TRIGGERS"] = "dir=%s,every=%s,keep=%d" % (snaps, EVERY, KEEP)
    service = Service(args.workers, env, os.path.join(args.dir, name + ".log"))
    seconds = max(10, args.seconds // 2)
    actions = {"signals": 0, "attaches": 0, "attach_failed": 0, "attach_seconds": []}
    stop = threading.Event()
    try:
        workers = list(service.workers)
        rss_start = {pid: rss(pid) for pid in workers}

        def work_on_it():
            # Bounded: at most one action per worker per interval, until the load ends.
            start = time.monotonic()
            next_signal, next_attach, n = start + SIGNAL_EVERY / 2, start + ATTACH_EVERY / 3, 0
            while not stop.wait(0.2):
                now = time.monotonic()
                if now >= next_signal:
                    next_signal += SIGNAL_EVERY
                    for pid in workers:
                        try:
                            os.kill(pid, signal.SIGUSR2)
                            actions["signals"] += 1
                        except ProcessLookupError:
                            pass
                if now >= next_attach:
                    next_attach += ATTACH_EVERY
                    for pid in workers:
                        n += 1
                        out = os.path.join(snaps, "attach-%d-%d.hds" % (pid, n))
                        t0 = time.monotonic()
                        try:
                            r = subprocess.run([heapdiff_command(), "attach", str(pid), "--fork", "-o", out,
                                                "--timeout", "30"], capture_output=True, text=True, timeout=90)
                            ok = r.returncode == 0
                        except subprocess.TimeoutExpired:
                            ok = False
                        actions["attaches"] += 1
                        actions["attach_seconds"].append(time.monotonic() - t0)
                        if not ok:
                            actions["attach_failed"] += 1
                            sys.stderr.write("attach %d failed: %s\n" % (pid, (r.stderr or "").strip()[:300]))

        helper = threading.Thread(target=work_on_it, daemon=True) if with_heapdiff else None
        if helper:
            helper.start()
        figures, raw = load(service.port, seconds, args.connections, lua_path)
        stop.set()
        if helper:
            helper.join(120)
        time.sleep(1.0)  # the last forked dumps finish
        rss_end = {pid: rss(pid) for pid in workers}
        alive = children(service.proc.pid)
        figures["crashed"] = sum(1 for pid in workers if pid not in alive)
        growth = [rss_end[p] - rss_start[p] for p in workers if rss_end.get(p) and rss_start.get(p)]
        figures["rss_growth_bytes"] = int(sum(growth) / len(growth)) if growth else None
        figures["seconds"] = seconds
        figures.update({k: v for k, v in actions.items() if k != "attach_seconds"})
        if actions["attach_seconds"]:
            figures["attach_max_seconds"] = round(max(actions["attach_seconds"]), 2)
        log = service.text()
    finally:
        stop.set()
        service.stop()
    figures["worker_deaths_logged"] = len(re.findall(r"Worker \(pid:\d+\) (?:was sent|exited)", log))
    return figures


def check_snapshots(snaps, workers):
    files = sorted(glob.glob(os.path.join(snaps, "*.hds")))
    unreadable = []
    cmd = heapdiff_command()
    for path in files:
        r = subprocess.run([cmd, "summary", path, "--json"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            unreadable.append((path, r.stderr.strip()))
    periodic = [f for f in files if re.search(r"-every(-\d+)?\.hds$", f)]
    return {
        "snapshots": len(files),
        "unreadable": len(unreadable),
        "unreadable_files": unreadable[:5],
        "periodic": len(periodic),
        "periodic_bound": KEEP * (workers + 1) + KEEP,  # keep per live process (workers, master) + keep of the gone
        "disk_bytes": sum(os.path.getsize(f) for f in files),
        "periodic_disk_bytes": sum(os.path.getsize(f) for f in periodic),
        "signal_snapshots": sum(1 for f in files if f.endswith("-signal.hds") or "-signal-" in f),
        "attach_snapshots": sum(1 for f in files if os.path.basename(f).startswith("attach-")),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600, help="the whole soak: half without, half with heapdiff")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--dir", help="where the logs and snapshots go (default: a temporary directory)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("soak.py needs wrk (apt-get install wrk)")
    if heapdiff_command() is None:
        raise SystemExit("soak.py needs the heapdiff command (pip install .)")
    made = args.dir is None
    args.dir = args.dir or tempfile.mkdtemp(prefix="heapdiff-soak-")
    snaps = os.path.join(args.dir, "snaps")
    os.makedirs(snaps, exist_ok=True)
    lua_path = os.path.join(args.dir, "paths.lua")
    with open(lua_path, "w") as f:
        f.write(LUA)
    print("soak: %d s, gunicorn %d sync workers, wrk %d connections, CPython %s, in %s" % (
        args.seconds, args.workers, args.connections, sys.version.split()[0], args.dir), flush=True)
    base = run_once("baseline", args, lua_path, snaps, False)
    print("baseline:  %d requests, %d failed, p50 %.2f ms, p99 %.2f ms, workers' RSS +%.1f MiB" % (
        base["requests"], base["failed"], base["p50_ms"] or -1, base["p99_ms"] or -1,
        (base["rss_growth_bytes"] or 0) / 2**20), flush=True)
    hd = run_once("heapdiff", args, lua_path, snaps, True)
    print("heapdiff:  %d requests, %d failed, p50 %.2f ms, p99 %.2f ms, workers' RSS +%.1f MiB; %d SIGUSR2, "
          "%d attaches (%d failed, slowest %.1f s), %d workers died" % (
              hd["requests"], hd["failed"], hd["p50_ms"] or -1, hd["p99_ms"] or -1,
              (hd["rss_growth_bytes"] or 0) / 2**20, hd["signals"], hd["attaches"], hd["attach_failed"],
              hd.get("attach_max_seconds", 0), hd["crashed"]), flush=True)
    snap = check_snapshots(snaps, args.workers)
    print("snapshots: %d written, %d readable (%d periodic on disk, bound %d; %d by signal, %d by attach), "
          "%.1f MiB on disk" % (snap["snapshots"], snap["snapshots"] - snap["unreadable"], snap["periodic"],
                                snap["periodic_bound"], snap["signal_snapshots"], snap["attach_snapshots"],
                                snap["disk_bytes"] / 2**20), flush=True)
    for path, why in snap["unreadable_files"]:
        print("  unreadable: %s: %s" % (path, why))
    drift = None
    if hd["rss_growth_bytes"] is not None and base["rss_growth_bytes"] is not None:
        drift = hd["rss_growth_bytes"] - base["rss_growth_bytes"]
        print("RSS drift caused by heapdiff, per worker: %+.1f MiB" % (drift / 2**20))
    result = {
        "seconds": args.seconds, "workers": args.workers, "python": sys.version.split()[0],
        "requests": base["requests"] + hd["requests"], "failed": base["failed"] + hd["failed"],
        "p50_ms": hd["p50_ms"], "p99_ms": hd["p99_ms"],
        "p50_ms_without": base["p50_ms"], "p99_ms_without": base["p99_ms"],
        "requests_with": hd["requests"], "requests_without": base["requests"],
        "snapshots": snap["snapshots"], "unreadable": snap["unreadable"], "disk_bytes": snap["disk_bytes"],
        "periodic": snap["periodic"], "periodic_bound": snap["periodic_bound"],
        "signals": hd["signals"], "attaches": hd["attaches"], "attach_failed": hd["attach_failed"],
        "crashed": base["crashed"] + hd["crashed"],
        "worker_deaths_logged": base["worker_deaths_logged"] + hd["worker_deaths_logged"],
        "rss_drift_bytes": drift,
    }
    print(json.dumps(result), flush=True)
    if made and os.environ.get("HEAPDIFF_SOAK_KEEP") != "1":
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
