"""Seeds for the reader's fuzzer made by the real probe: small heaps dumped with every
section a snapshot can carry, each file under --max-bytes (1 MiB by default, the fuzzer's
-max_len), so that mutations of real files reach a decompression or count bomb.

    python bench/fuzz/make_seeds.py DIR [--max-bytes 1048576]

Each seed is dumped in a child process of its own (a fresh interpreter, its heap as the
case builds it): a plain interpreter; a heap with tracemalloc tracebacks (TRBK, TRAC and
the trace statistics); cyclic trash and many repeated structures (long EDGE sections that
compress most); threads with frames (thread roots); a forked dump (its facts). Every dump
carries the memory map (MAPS, PYAR, PYSC, MALA) and, on 3.12+, the objects nothing refers
to. Prints each seed's name, size and sections.
"""

import argparse
import os
import subprocess
import sys
import textwrap

CASES = {
    "plain": "",
    "traced": """
        import tracemalloc
        tracemalloc.start(25)
        keep = [{"k%d" % i: [i, str(i)]} for i in range(3000)]
    """,
    "repeated": """
        one = object()
        keep = [[one] * 250 for _ in range(400)] + [tuple([None] * 1000) for _ in range(50)]
    """,
    "cycles": """
        import gc
        gc.disable()
        for i in range(3000):
            a = []; a.append(a)
        class Node:
            pass
        for i in range(500):
            n, m = Node(), Node()
            n.other, m.other = m, n
    """,
    "threads": """
        import threading
        stop = threading.Event()
        def waiter(depth):
            if depth:
                return waiter(depth - 1)
            stop.wait(30)
        threads = [threading.Thread(target=waiter, args=(5,)) for _ in range(4)]
        for t in threads:
            t.start()
    """,
    "values": """
        keep = [3.25 * i for i in range(2000)] + ["ünïcødé %d" % i for i in range(2000)] + \\
               [b"\\x00\\xff" * i for i in range(200)] + [2 ** (i % 200) for i in range(2000)]
    """,
}

FOOTER = """
import heapdiff, sys
heapdiff.dump(sys.argv[1], label="fuzz seed %s", fork=%r, wait=%r)
"""


def make(directory, name, body, fork, max_bytes):
    path = os.path.join(directory, "probe-%s%s.hds" % (name, "-forked" if fork else ""))
    code = textwrap.dedent(body) + FOOTER % (name, fork, 60 if fork else False)
    if name == "threads":
        code += "\nstop.set()\n"
    proc = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit("seed %s failed: %s" % (name, proc.stderr))
    size = os.path.getsize(path)
    if size > max_bytes:
        os.unlink(path)
        print("%-28s %8d bytes: over %d, left out" % (os.path.basename(path), size, max_bytes))
        return None
    return path, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--max-bytes", type=int, default=1 << 20)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    from heapdiff import _probe  # the core reader's view of each seed

    for name, body in CASES.items():
        for fork in (False, True) if name == "plain" else (False,):
            made = make(args.directory, name, body, fork, args.max_bytes)
            if made is None:
                continue
            path, size = made
            data = _probe.read_snapshot(path)
            print("%-28s %8d bytes, %6d objects, %3d facts, %d tracebacks" % (
                os.path.basename(path), size, len(data["addresses"]), len(data["facts"]), len(data["tracebacks"])))


if __name__ == "__main__":
    main()
