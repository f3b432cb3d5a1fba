"""pytest --heapdiff: which test leaks, and what holds it.

Registered through the ``pytest11`` entry point, and off unless ``--heapdiff`` is given.
Each selected test runs several times (``--heapdiff-runs``, default 3): its function-scoped
fixtures are set up and torn down every time, module- and session-scoped ones once. After
each run the collector's work is done (a full collection, when the collector is on) and the
process is dumped (with allocation tracebacks when tracemalloc is tracing), and
the ``heapdiff`` command, in a child process like the rest of the API, compares the dumps:
a test leaks when some type grows in every run after the first (the first run absorbs
caches and lazy imports) by more than its marker allows, and objects born in its runs
survive all of them. For each leaking test the terminal summary names the growing types
with their count and size after each run, what holds the leaked objects (the labelled
chain from a module), and where they were allocated. ``docs/PYTEST.md`` has the details.

heapdiff itself is imported only when asked (see the package's docstring).
"""

import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc

import pytest

from heapdiff_pytest import options, privatedir

try:
    from _pytest.runner import runtestprotocol
except ImportError:  # pragma: no cover (every supported pytest has it)
    runtestprotocol = None

MARKER = "heapdiff"
NO_MARKER = "no_heapdiff"
JSON_VERSION = 1


def pytest_addoption(parser):
    group = parser.getgroup("heapdiff", "heapdiff: find the tests that leak, and what holds the leak")
    group.addoption("--heapdiff", action="store_true", default=False,
                    help="run each test several times, snapshot the heap after each run, and report the tests "
                         "whose objects grow with every run and what holds them")
    group.addoption("--heapdiff-runs", type=int, default=3, metavar="N",
                    help="runs per test (at least 3; the first warms caches up): default 3")
    group.addoption("--heapdiff-fail", action="store_true", default=False,
                    help="fail the tests that leak (default: report them only)")
    group.addoption("--heapdiff-json", default=None, metavar="FILE", help="write the report as JSON to FILE")
    group.addoption("--heapdiff-dir", default=None, metavar="DIR",
                    help="keep the snapshots in DIR (default: a temporary directory, removed)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "heapdiff(runs=N, allow={type: count}): with --heapdiff, run this test N times, and let each "
                   "type grow by up to `count` objects per run without calling it a leak")
    config.addinivalue_line("markers", "no_heapdiff: with --heapdiff, run this test once, unmeasured")
    if config.getoption("heapdiff", False):
        if runtestprotocol is None:
            raise pytest.UsageError("--heapdiff: this pytest has no _pytest.runner.runtestprotocol")
        try:
            _load()
        except ImportError as e:
            raise pytest.UsageError("--heapdiff: cannot import heapdiff: %s" % e)
        # Every option is checked (and its paths made absolute) before anything is created
        # but the --heapdiff-dir asked for; the private directory comes after.
        settings = options.check(config)
        config.pluginmanager.register(LeakHunter(config, settings), "heapdiff-leak-hunter")


heapdiff = _analyzer = None


def _load():
    """heapdiff and its analyzer runner, imported on first use."""
    global heapdiff, _analyzer
    if heapdiff is None:
        import heapdiff as package
        from heapdiff import _analyzer as runner

        heapdiff, _analyzer = package, runner


@pytest.fixture
def heapdiff_snapshot(tmp_path):
    """take(label=None) -> heapdiff.Snapshot of this process, written under the test's
    tmp_path: for tests that assert on growth themselves with heapdiff.diff(a, b)."""
    _load()
    taken = []

    def take(label=None, collect=True):
        path = tmp_path / ("heapdiff-%d.hds" % (len(taken) + 1))
        snap = heapdiff.snapshot(str(path), label=label, tracebacks=tracemalloc.is_tracing(), collect=collect)
        taken.append(snap)
        return snap

    return take


def _marker_options(item, default_runs):
    """(runs, allow) of the item's heapdiff marker; UsageError for a marker that does not fit."""
    mark = item.get_closest_marker(MARKER)
    runs, allow = default_runs, {}
    if mark is not None:
        unknown = set(mark.kwargs) - {"runs", "allow"}
        runs, allow = mark.kwargs.get("runs", runs), mark.kwargs.get("allow", {})
        if mark.args or unknown or not isinstance(runs, int) or runs < 3 or not isinstance(allow, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in allow.items()):
            raise pytest.UsageError("%s: @pytest.mark.heapdiff(%s): takes runs=N (at least 3) and allow={type name: "
                                    "objects per run}" % (item.nodeid, ", ".join(
                                        [repr(a) for a in mark.args] + ["%s=%r" % kv for kv in mark.kwargs.items()])))
    return runs, dict(allow)


class LeakHunter:
    def __init__(self, config, settings):
        self.config = config
        self.runs, self.fail, self.json_path = settings.runs, settings.fail, settings.json_path
        self.keep = settings.keep_dir is not None
        # The process that configured the plugin is the only one that measures, judges,
        # reports, writes or removes anything: a test's forked child that returns from the
        # test goes on running pytest's hooks (the next tests, the session's end) as plain
        # pytest, and must leave the parent's files and judging process alone.
        self.pid = os.getpid()
        try:
            self.private = privatedir.create()  # the judge's results, and the snapshots not kept
        except OSError as e:
            raise pytest.UsageError("--heapdiff: cannot create a private directory in %s: %s" % (
                tempfile.gettempdir(), e.strerror or e))
        # Removed however pytest ends: also when the session never starts (a failing
        # sessionstart or configure hook) and so pytest_sessionfinish never runs.
        config.add_cleanup(self._cleanup)
        self.dir = settings.keep_dir if self.keep else self.private.path
        self.judge = None  # the judging process, started with the first measured test
        self.leaks = []    # one dict per leaking test, in the order they ran
        self.measured = 0  # tests run under measurement
        self.errors = []   # tests the analysis could not judge, with why
        self.json_error = None  # why --heapdiff-json could not be written at the end

    def _ours(self):
        return os.getpid() == self.pid

    def pytest_collection_modifyitems(self, items):
        """Bad markers are usage errors before anything runs, not failures half-way."""
        for item in items:
            _marker_options(item, self.runs)

    # --- running ------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if item.get_closest_marker(NO_MARKER) is not None or not self._ours():
            return None  # pytest runs it the usual way (in a forked child: unmeasured)
        runs, allow = _marker_options(item, self.runs)
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        reports, measured = [], 0
        for run in range(1, runs + 1):
            # Each run's teardown goes up to the item's parent, not to the next item: the
            # function's fixtures are torn down, every wider one stays, for the next run and
            # for the snapshot (a module fixture freed before the last one would read as the
            # test shrinking).
            reports = runtestprotocol(item, log=False, nextitem=item.parent)
            if not self._ours():
                break  # the test forked, and this child returned from it: no more runs here
            if any(r.failed or r.skipped for r in reports):
                break  # a test that fails or skips is not measured
            self._dump(item, run, tracebacks=run == runs and tracemalloc.is_tracing())
            measured += 1
        reports = _finish_teardown(item, nextitem, reports)
        if self._ours():
            self._conclude(item, runs, measured, allow, reports)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _conclude(self, item, runs, measured, allow, reports):
        """Judge a test measured in all its runs (now or in the judging process); remove the
        snapshots of one that was not."""
        # The file names are made again from the run numbers rather than kept during the
        # runs: a list that gained a str per run would be a leak of our own in every test.
        paths = [self._path(item, run) for run in range(1, measured + 1)]
        if measured == runs:
            self.measured += 1
            if self.fail:
                self._judge_now(item, paths, allow, reports)
            else:
                self._send(item, paths, allow)
        elif not self.keep:
            for p in paths:
                _analyzer.remove(p)

    def _path(self, item, run):
        return os.path.join(self.dir, "%s.run%d.hds" % (_safe_name(item.nodeid), run))

    def _dump(self, item, run, tracebacks):
        # Allocation sites only in the last snapshot: the survivors are read there, and a
        # dump with tracebacks of a pytest process costs ~0.9 s against ~0.05 s without.
        _collect_as_the_collector_will()
        heapdiff.dump(self._path(item, run), label="%s run %d" % (item.nodeid, run), tracebacks=tracebacks)

    # --- judging -------------------------------------------------------------------------

    def _judge_now(self, item, paths, allow, reports):
        """--heapdiff-fail: the verdict before the test's report is logged."""
        from heapdiff_pytest import judge

        try:
            leak = judge.judge(item.nodeid, paths, allow)
        except _analyzer.AnalyzerError as e:
            self.errors.append({"test": item.nodeid, "error": str(e)})
            leak = None
        if not self.keep:
            for p in paths:
                _analyzer.remove(p)
        if leak is not None:
            if not self.keep:
                del leak["snapshots"]
            self.leaks.append(leak)
            _fail_call_report(reports, leak)

    def _send(self, item, paths, allow):
        """Hand the snapshots to the judging process; its verdicts are read at the end."""
        request = json.dumps({"test": item.nodeid, "paths": paths, "allow": allow, "keep": self.keep}) + "\n"
        try:
            if self.judge is None:
                env = dict(os.environ)
                env.pop("PYTHONTRACEMALLOC", None)  # the judge allocates for itself only
                # Started in the private directory: not in whatever directory a test moved
                # to (it may be gone by now), and no module of the suite's directory (a
                # json.py) on its path (-m puts the working directory first).
                self.judge = subprocess.Popen([sys.executable, "-m", "heapdiff_pytest.judge",
                                               os.path.join(self.private.path, "results.jsonl")],
                                              stdin=subprocess.PIPE, env=env, cwd=self.private.path)
            self.judge.stdin.write(request.encode("utf-8"))
            self.judge.stdin.flush()
        except OSError as e:  # could not start it, or it died: this test goes unjudged
            self.errors.append({"test": item.nodeid, "error": "the judging process: %s" % e})

    def _collect(self, interrupted=False):
        """Wait for the judging process to finish its queue (or, after Ctrl-C, stop it), and
        read its verdicts."""
        if self.judge is None:
            return
        status = self._stop_judge(interrupted)
        if status != 0 and not interrupted:
            self.errors.append({"test": None, "error": "the judging process exited with status %d" % status})
        results = os.path.join(self.private.path, "results.jsonl")
        if os.path.exists(results):
            with open(results, encoding="utf-8") as f:
                for line in f:
                    result = json.loads(line)
                    if "error" in result:
                        self.errors.append(result)
                    elif result["leak"] is not None:
                        self.leaks.append(result["leak"])

    def _stop_judge(self, now):
        """Ask the judging process to end after its queue (`now`: at once), and wait for it.
        The end is a request of its own rather than the end of its input: a child a test
        forked (a daemon) may still hold that pipe open, and pytest would wait for it."""
        judge, self.judge = self.judge, None
        try:
            if now:
                judge.terminate()
            else:
                judge.stdin.write(END_REQUEST)
                judge.stdin.flush()
        except OSError:  # it is gone already: its status says how it ended
            pass
        try:
            judge.stdin.close()
        except OSError:
            pass
        return judge.wait()

    def _cleanup(self):
        """pytest's last step, however the session ended: nothing of the plugin's is left
        running or on disk (in the process that configured it only)."""
        if not self._ours():
            return
        if self.judge is not None:  # the session never finished: its verdicts are not needed
            self._stop_judge(now=True)
        why = privatedir.remove(self.private)
        if why:
            sys.stderr.write("heapdiff: %s\n" % why)

    # --- reporting -----------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter):
        if not self._ours():
            return  # a forked child's pytest: the parent reports
        tr = terminalreporter
        tr.write_sep("=", "heapdiff: %d leaking test%s of %d measured" % (
            len(self.leaks), "" if len(self.leaks) == 1 else "s", self.measured))
        for leak in self.leaks:
            for line in leak_lines(leak):
                tr.write_line(line)
        for e in self.errors:
            tr.write_line("%s: not judged: %s" % (e["test"] or "heapdiff", e["error"]))
        if self.keep:
            tr.write_line("snapshots kept in %s" % self.dir)
        if self.json_error:
            tr.write_line(self.json_error, red=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """xdist's controller: each worker measured its own tests; merge what it found."""
        found = getattr(node, "workeroutput", {}).get("heapdiff")
        if found and self._ours():
            found = json.loads(found)
            self.measured += found["measured"]
            self.leaks.extend(found["leaks"])
            self.errors.extend(found["errors"])

    def pytest_sessionfinish(self, session, exitstatus):
        if not self._ours():
            return  # a forked child's pytest: no report, no JSON, nothing removed
        self._collect(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        report = {"version": JSON_VERSION, "runs": self.runs, "measured": self.measured,
                  "leaks": self.leaks, "errors": self.errors}
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller merges and reports
            workeroutput["heapdiff"] = json.dumps(report)
        if self.json_path and workeroutput is None:
            try:
                with open(self.json_path, "w", encoding="utf-8") as f:
                    json.dump(report, f, indent=1)
                    f.write("\n")
            except OSError as e:  # checked at the start, but a test may have moved things since
                self.json_error = "heapdiff: --heapdiff-json=%s not written: %s" % (self.json_path, e.strerror or e)
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.USAGE_ERROR


# The judging process's last request: end after the queue (see LeakHunter._stop_judge).
END_REQUEST = b'{"end": true}\n'


def _collect_as_the_collector_will():
    """A reference cycle is a leak only if the collector never frees it. With the collector
    on (enabled, threshold 0 above 0) it will, at its next full collection: run that
    collection now, before the snapshot. Otherwise a cycle that it moved to the oldest
    generation while the test ran (an `except E as e: err = e` keeps the frame, its
    traceback and the exception in one) reads as growth, and the one a previous test left
    reads as a shrink when it goes. With the collector off (gc.disable(), a 0 threshold: the
    gc-tuning story) nothing frees the trash: it stays, and the judge names it cyclic trash."""
    if gc.isenabled() and gc.get_threshold()[0] > 0:
        gc.collect()


def _finish_teardown(item, nextitem, reports):
    """The rest of the item's teardown, as pytest would have done it with the real next
    item (the fixtures wider than the function that the next item does not share). A
    failure there becomes the test's teardown report, as it would without --heapdiff."""
    call = pytest.CallInfo.from_call(lambda: item.session._setupstate.teardown_exact(nextitem), when="teardown")
    if call.excinfo is None:
        return reports
    failed = item.ihook.pytest_runtest_makereport(item=item, call=call)
    return [r for r in reports if r.when != "teardown"] + [failed]


def _safe_name(nodeid):
    """A file name for a test's snapshots: the node id, readable, at most 120 characters,
    and one per test. Parametrized ids (test_x[a b], test_x[a_b]) and cut ids would map to
    the same characters, so any id not kept as it is (but for :: -> __) gets a digest."""
    readable = nodeid.replace("::", "__")
    keep = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in readable)
    if keep == readable and "__" not in nodeid and len(keep) <= 120:
        return keep
    digest = hashlib.sha1(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return keep[-111:] + "-" + digest


def _fail_call_report(reports, leak):
    for r in reports:
        if r.when == "call":
            r.outcome = "failed"
            r.longrepr = "heapdiff: this test leaks\n" + "\n".join(leak_lines(leak))
            return


def _size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else "%.1f %s" % (n, unit)
        n /= 1024.0


def chain_text(holder):
    """module errorlog → __dict__ → ['_temp_logs'] → [3] → ['tb'] → tb_frame → local 'db' → DB"""
    chain = holder["chain"]
    if not chain:
        return "%s (no chain found)" % holder["type"]
    if holder["kind"] == "orphan":
        return "%s, that nothing in the snapshot refers to: C code holds it" % chain[0]["label"]
    hops = [chain[0]["label"]] + [h["edge"] or "?" for h in chain[1:]]
    if len(chain) > 1:
        hops.append(chain[-1]["label"])
    return ("cyclic trash: " if holder["kind"] == "cyclic_trash" else "") + " → ".join(hops)


def leak_lines(leak):
    lines = ["LEAK %s" % leak["test"]]
    title = "grew in every run"
    width = max([len(title)] + [len(g["type"]) for g in leak["growing"][:8]])
    lines.append("    %-*s  count (size) after each run" % (width, title))
    for g in leak["growing"][:8]:
        runs = ", ".join("%d (%s)" % (c, _size(s)) for c, s in zip(g["counts"], g["sizes"]))
        lines.append("    %-*s  %s" % (width, g["type"], runs))
    if len(leak["growing"]) > 8:
        lines.append("    ... %d more types" % (len(leak["growing"]) - 8))
    for h in leak["holders"]:
        lines.append("    %s held by %s" % (h["type"], chain_text(h)))
        if h["name"]:
            lines.append("        reachable as %s" % h["name"])
        if h["allocated"]:  # the objects the suspect groups: the topmost ones born in the runs
            f = h["allocated"][0]
            lines.append("        leaked at %s:%d" % (f["filename"], f["lineno"]))
    return lines
