"""How long `heapdiff attach` pauses a running service, next to the same dump done inside it.

Starts a service with a synthetic heap of N gc-tracked objects (heap_builder) whose main
loop ticks every 10 ms and records the longest gap between two ticks. Then, in the same run:
  1. baseline: the service calls heapdiff.dump() itself (in-process, as after an import);
  2. attach:   `heapdiff attach PID` from outside (gdb on 3.8-3.13, sys.remote_exec on 3.14+).
Prints, for each: the dump time the probe reports, the longest tick gap the service saw
(what its clients would notice), and for attach the time gdb stopped the process and the
attaching command's wall time; then attach's pause as a ratio of the baseline's.

    build/venv-3.11.7/bin/python bench/bench_attach.py --objects 1000000
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SERVICE = r"""
import os, sys, time
sys.path.insert(0, %(here)r)
from heap_builder import build_heap
heap = build_heap(%(n)d)
ctl = %(ctl)r
def answer(text):
    with open(ctl + ".answer.tmp", "w") as f:
        f.write(text)
    os.replace(ctl + ".answer.tmp", ctl + ".answer")
answer("ready %%d" %% heap.tracked)
last = time.perf_counter()
longest = 0.0
while True:
    now = time.perf_counter()
    longest = max(longest, now - last)
    last = now
    if os.path.exists(ctl):
        command = open(ctl).read()
        os.unlink(ctl)
        if command == "reset":
            longest = 0.0
            answer("reset")
        elif command == "gap":
            answer("%%.6f" %% longest)
        elif command.startswith("dump "):
            import heapdiff
            t = time.perf_counter()
            heapdiff.dump(command[5:], tracebacks=False)
            answer("%%.6f" %% (time.perf_counter() - t))
    time.sleep(0.01)
"""


def ask(ctl, command, timeout=600):
    try:
        os.unlink(ctl + ".answer")
    except FileNotFoundError:
        pass
    with open(ctl + ".tmp", "w") as f:
        f.write(command)
    os.replace(ctl + ".tmp", ctl)
    deadline = time.time() + timeout
    while not os.path.exists(ctl + ".answer"):
        if time.time() > deadline:
            raise SystemExit("the service did not answer %r" % command)
        time.sleep(0.01)
    return open(ctl + ".answer").read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=1000000, help="gc-tracked objects in the service (default 1M)")
    ap.add_argument("--repeat", type=int, default=3, help="measurements of each kind (default 3; best kept)")
    args = ap.parse_args()
    heapdiff_cmd = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    work = tempfile.mkdtemp(prefix="heapdiff-bench-attach-")
    ctl = os.path.join(work, "ctl")
    service = subprocess.Popen([sys.executable, "-c", SERVICE % dict(here=HERE, n=args.objects, ctl=ctl)])
    try:
        while not os.path.exists(ctl + ".answer"):
            time.sleep(0.05)
        tracked = int(open(ctl + ".answer").read().split()[1])
        print("CPython %s, service pid %d with %s gc-tracked objects (heap_builder)"
              % (sys.version.split()[0], service.pid, format(tracked, ",")))
        inside, attach = [], []
        for i in range(args.repeat):
            ask(ctl, "reset")
            dump_s = float(ask(ctl, "dump " + os.path.join(work, "inside.hds")))
            inside.append((dump_s, float(ask(ctl, "gap"))))
            ask(ctl, "reset")
            t = time.perf_counter()
            r = subprocess.run([heapdiff_cmd, "attach", str(service.pid), "-o", os.path.join(work, "attach.hds"),
                                "--timeout", "60"], capture_output=True, text=True)
            wall = time.perf_counter() - t
            if r.returncode != 0:
                raise SystemExit(r.stderr.strip())
            paused = re.search(r"paused (\d+(?:\.\d+)?) (ms|s)", r.stdout)
            stopped = re.search(r"stopped (\d+(?:\.\d+)?) (ms|s)", r.stdout)
            seconds = lambda m: 0.0 if not m else float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
            attach.append((seconds(paused), float(ask(ctl, "gap")), seconds(stopped), wall))
        size = os.path.getsize(os.path.join(work, "attach.hds"))
        best_inside = min(inside)
        best_attach = min(attach, key=lambda a: a[1])
        print("%-34s %10s %14s %12s %10s" % ("", "dump", "longest gap", "gdb stop", "wall"))
        print("%-34s %9.0f ms %11.0f ms %12s %10s" % ("heapdiff.dump() inside (baseline)", best_inside[0] * 1000,
                                                   best_inside[1] * 1000, "-", "-"))
        print("%-34s %9.0f ms %11.0f ms %9.0f ms %7.0f ms" % ("heapdiff attach PID", best_attach[0] * 1000,
                                                          best_attach[1] * 1000, best_attach[2] * 1000,
                                                          best_attach[3] * 1000))
        print("attach's longest gap / baseline's: %.2fx   (snapshot %.1f MiB; best of %d each)"
              % (best_attach[1] / best_inside[1], size / 2**20, args.repeat))
    finally:
        service.kill()
        service.wait()
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


if __name__ == "__main__":
    main()
