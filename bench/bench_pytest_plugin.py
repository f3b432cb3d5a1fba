"""pytest --heapdiff on a generated suite of small tests, against the same suite run plainly.

Run by hand (not a test), with heapdiff and pytest installed in the running Python:

    python bench/bench_pytest_plugin.py [--tests 200] [--runs 3] [--repeat 2]

Writes a suite of N small tests into a temporary directory (each builds a few hundred
objects; one in fifty keeps some in a module-level list, so there is something to report),
then times, best of --repeat:
  pytest -p no:cacheprovider                 the plain run (the baseline)
  pytest -p no:cacheprovider --heapdiff      every test run --runs times, a snapshot after each
and prints both, the ratio, the issue's budget (runs x plain + the dumps, with the dumps
timed from the plugin's own snapshot count), and how many tests were reported.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TEST = """
def test_{n}():
    data = [dict(i=i, s=str(i)) for i in range(300)]
    assert len(data) == 300
"""

LEAKING = """
KEPT_{n} = []


def test_{n}():
    KEPT_{n}.append([bytearray(256) for _ in range(10)])
"""


def write_suite(directory, tests):
    for chunk in range(0, tests, 50):
        body = "".join((LEAKING if n % 50 == 49 else TEST).format(n=n) for n in range(chunk, min(chunk + 50, tests)))
        with open(os.path.join(directory, "test_gen_%d.py" % chunk), "w") as f:
            f.write(body)


def timed(args, cwd, repeat):
    best, out = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=cwd,
                           capture_output=True, text=True)
        took = time.perf_counter() - start
        if r.returncode != 0:
            raise SystemExit("pytest %s failed:\n%s%s" % (" ".join(args), r.stdout[-2000:], r.stderr[-2000:]))
        if best is None or took < best:
            best, out = took, r.stdout
    return best, out


def dump_seconds(cwd):
    """One snapshot of a pytest process that collected the suite, as the plugin takes them."""
    code = ("import time, heapdiff, pytest\n"
            "pytest.main(['-q', '-p', 'no:cacheprovider', '--co'])\n"
            "t = time.perf_counter(); heapdiff.dump('probe.hds'); print(time.perf_counter() - t)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    os.unlink(os.path.join(cwd, "probe.hds"))
    return float(r.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    o = parser.parse_args()
    with tempfile.TemporaryDirectory() as suite:
        write_suite(suite, o.tests)
        plain, _ = timed([], suite, o.repeat)
        out_json = os.path.join(suite, "report.json")
        measured, text = timed(["--heapdiff", "--heapdiff-runs", str(o.runs), "--heapdiff-json=%s" % out_json],
                               suite, o.repeat)
        report = json.load(open(out_json))
        one_dump = dump_seconds(suite)
        dumps = o.tests * o.runs * one_dump
        print("CPython %s, pytest suite of %d small tests, --heapdiff-runs %d" % (
            sys.version.split()[0], o.tests, o.runs))
        print("plain pytest                 %7.2f s" % plain)
        print("pytest --heapdiff            %7.2f s  (%.1fx plain)" % (measured, measured / plain))
        print("budget: runs x plain + dumps %7.2f s  (%d dumps of %.3f s, measured apart)" % (
            o.runs * plain + dumps, o.tests * o.runs, one_dump))
        print("the rest (the analysis, in the heapdiff command): %.2f s, %.1f ms per test" % (
            measured - o.runs * plain - dumps, 1000 * (measured - o.runs * plain - dumps) / o.tests))
        print("reported: %d leaking of %d measured (expected %d)" % (
            len(report["leaks"]), report["measured"], o.tests // 50))
        assert re.search(r"heapdiff: \d+ leaking tests? of", text)


if __name__ == "__main__":
    main()
