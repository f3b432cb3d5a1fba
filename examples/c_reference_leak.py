"""A C extension that leaks references nothing refers to, the seed story of a line tracer:
it counts line events in a dict keyed by line number and never releases the key it made.

    python examples/c_reference_leak.py [OUT_DIR]

compiles tests/python/cext/leaky_tracer.c with gcc against this interpreter's headers,
dumps before.hds, runs a loop under the tracer, dumps after.hds (no tracemalloc), and
prints how many ints the tracer leaked. Then: heapdiff orphans before.hds after.hds.
"""

import os
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "tests", "python", "cext", "leaky_tracer.c")


def build(out_dir):
    target = os.path.join(out_dir, "leaky_tracer" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-I", sysconfig.get_paths()["include"], SOURCE, "-o", target],
                   check=True)
    sys.path.insert(0, out_dir)


def handle(request):
    total = 0
    for part in request:
        total += len(part)
    return total


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    build(tempfile.mkdtemp())
    import heapdiff
    import leaky_tracer

    handle(["warm", "up"])
    heapdiff.dump(os.path.join(out, "before.hds"), label="before")
    leaky_tracer.start()
    for n in range(2000):
        handle(["GET", "/", "HTTP/1.1", str(n)])
    leaky_tracer.stop()
    heapdiff.dump(os.path.join(out, "after.hds"), label="after 2000 requests")
    print("the tracer leaked %d ints" % leaky_tracer.leaked(), flush=True)


if __name__ == "__main__":
    main()
