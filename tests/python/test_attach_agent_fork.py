"""`heapdiff attach PID --fork`, the agent's side: run here the way the stub runs it in a
target (exec with __file__ in a request directory), without gdb or sys.remote_exec, so it
is tested on every interpreter. The agent must answer "done" only once the child has
written the file, from a thread of its own, while the target's main thread goes on."""

import binascii
import json
import os
import subprocess
import sys
import textwrap

import heapdiff
from conftest import Snap

AGENT = os.path.join(os.path.dirname(heapdiff.__file__), "_attach_agent.py")

TARGET = r"""
import binascii, json, os, sys, time, threading
class Widget:
    pass
keep = [Widget() for _ in range(3000)]
top = sys.argv[1]
def status():
    try:
        with open(os.path.join(top, "work", "status"), "rb") as f:
            return {k.decode(): binascii.unhexlify(v) for k, _, v in (l.partition(b"=") for l in f.read().splitlines())}
    except FileNotFoundError:
        return {}
with open(os.path.join(top, "agent.py")) as f:
    code = compile(f.read(), os.path.join(top, "agent.py"), "exec")
exec(code, {"__name__": "__heapdiff_attach__", "__file__": os.path.join(top, "agent.py")})
after_agent = status().get("state")
ticks = 0
deadline = time.time() + 60
while status().get("state") not in (b"done", b"error") and time.time() < deadline:
    ticks += 1  # the main thread is free while the child walks
    time.sleep(0.001)
s = status()
time.sleep(0.2)  # the agent's thread ends after its last report
print(json.dumps({"after_agent": after_agent.decode(), "state": s.get("state", b"").decode(),
                  "message": s.get("message", b"").decode(), "note": s.get("note", b"").decode(), "ticks": ticks,
                  "threads": [t.name for t in threading.enumerate() if t.name.startswith("heapdiff")]}))
"""


def fields(**kw):
    return b"".join(b"%s=%s\n" % (k.encode(), binascii.hexlify(v.encode() if isinstance(v, str) else v))
                    for k, v in kw.items())


def run_agent(tmp_path, fork):
    top = tmp_path / "heapdiff-attach-1-test"
    (top / "work").mkdir(parents=True)
    (top / "agent.py").write_text(open(AGENT).read())
    out = tmp_path / "attach.hds"
    (top / "work" / "request").write_bytes(fields(cwd=str(tmp_path), action="dump", output=str(out), label="attach",
                                                  tracebacks="0", fork=fork, packages=""))
    script = tmp_path / "target.py"
    script.write_text(textwrap.dedent(TARGET))
    proc = subprocess.run([sys.executable, "-W", "error", str(script), str(top)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
    return json.loads(proc.stdout), Snap(str(out))


def test_attach_fork_answers_after_the_child_from_a_thread(tmp_path):
    seen, snap = run_agent(tmp_path, "1")
    assert seen["after_agent"] == "walking"  # the agent returned before the child was done
    assert seen["state"] == "done", seen
    assert seen["threads"] == []  # its waiting thread is gone once it reported
    assert snap.facts["probe.forked"] == 1
    assert snap.type_counts()["__main__.Widget"] == 3000


def test_attach_without_fork_dumps_in_the_target(tmp_path):
    seen, snap = run_agent(tmp_path, "0")
    assert seen["after_agent"] == "done" and seen["state"] == "done", seen
    assert snap.facts["probe.forked"] == 0
    assert snap.type_counts()["__main__.Widget"] == 3000
