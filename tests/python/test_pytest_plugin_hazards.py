"""pytest --heapdiff against what a test suite (or its user) may do to it: cycles the
collector frees later, tests that change directory or fork, bad options, interrupted and
failing sessions. Each test runs a real inner pytest session with the real probe, in a
suite written to tmp_path, with TMPDIR of its own so that what the plugin leaves behind
(its private /tmp/heapdiff-pytest-* directory) can be seen."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PRIVATE_PREFIX = "heapdiff-pytest-"


def write_suite(directory, files):
    """A suite of its own: a pytest.ini makes `directory` the rootdir (no outer conftest)."""
    directory.mkdir(exist_ok=True)
    (directory / "pytest.ini").write_text("[pytest]\n")
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))
    return directory


def run_inner(suite, *args, tmp, timeout=300, extra_env=None, **kwargs):
    """python -m pytest ARGS in `suite`, TMPDIR=`tmp`, tracemalloc off."""
    env = dict(os.environ, TMPDIR=str(tmp), **(extra_env or {}))
    env.pop("PYTHONTRACEMALLOC", None)
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *map(str, args)], cwd=str(suite),
                          text=True, timeout=timeout, env=env, **kwargs)


def left_behind(tmp):
    return sorted(n for n in os.listdir(str(tmp)) if n.startswith(PRIVATE_PREFIX))


@pytest.fixture
def tmp(tmp_path):
    """The inner session's TMPDIR."""
    path = tmp_path / "tmpdir"
    path.mkdir()
    return path


def leaking_tests(report_path):
    data = json.loads(report_path.read_text())
    return data["measured"], sorted(entry["test"] for entry in data["leaks"])


# --- the collector -------------------------------------------------------------------------

ERRORS_SUITE = {"test_errors.py": """
    KEPT = []


    def test_keeps_the_error_it_handles():
        # err -> the exception -> its traceback -> this frame -> err: a cycle, freed by the
        # next full collection once the test returns. The work after it runs the collector,
        # which moves the cycle (alive then) to the oldest generation, where it stays a while.
        try:
            raise ValueError("bad input")
        except ValueError as e:
            err = e
        rows = [[n] for n in range(20000)]
        assert err.args == ("bad input",) and len(rows) == 20000


    def test_keeps_every_error_in_a_global():
        # The same cycle, held by a module global: a leak (its frame keeps `rows` too).
        try:
            raise ValueError("bad input")
        except ValueError as e:
            KEPT.append(e)
        rows = [[n] for n in range(20000)]
    """}


def test_a_cycle_the_collector_frees_is_no_leak_and_a_kept_one_is(tmp_path, tmp):
    suite = write_suite(tmp_path / "suite", ERRORS_SUITE)
    r = run_inner(suite, "--heapdiff", "--heapdiff-json=%s" % (tmp_path / "report.json"), tmp=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    assert leaking_tests(tmp_path / "report.json") == (2, ["test_errors.py::test_keeps_every_error_in_a_global"])
    (kept,) = json.loads((tmp_path / "report.json").read_text())["leaks"]
    assert [h["holder"] for h in kept["holders"]] == ["test_errors.KEPT"], kept["holders"]
    assert "heapdiff: 1 leaking test of 2 measured" in r.stdout
    assert left_behind(tmp) == []


# --- tests that change directory -----------------------------------------------------------

MOVING_SUITE = {"test_moves.py": """
    import os
    import tempfile

    KEPT = []


    def test_moves_to_another_directory():
        os.chdir(tempfile.mkdtemp())  # and stays there for the rest of the session


    def test_leaks_after_the_move():
        KEPT.append(bytearray(1000))
    """}


def test_relative_paths_survive_a_test_that_changes_directory(tmp_path, tmp):
    suite = write_suite(tmp_path / "suite", MOVING_SUITE)
    r = run_inner(suite, "--heapdiff", "--heapdiff-dir=snaps", "--heapdiff-json=report.json", tmp=tmp)
    assert r.returncode == 0 and "INTERNALERROR" not in r.stdout + r.stderr, r.stdout + r.stderr
    # Both paths are the ones given on the command line, relative to where pytest started.
    assert leaking_tests(suite / "report.json") == (2, ["test_moves.py::test_leaks_after_the_move"])
    (leak,) = json.loads((suite / "report.json").read_text())["leaks"]
    assert [os.path.dirname(p) for p in leak["snapshots"]] == [str(suite / "snaps")] * 3
    assert all(os.path.isfile(p) for p in leak["snapshots"])
    assert "snapshots kept in %s" % (suite / "snaps") in r.stdout
    assert left_behind(tmp) == []


# --- tests that fork -----------------------------------------------------------------------

FORKING_SUITE = {"test_forks.py": """
    import os

    KEPT = []


    def test_first():  # measured first: the judging process runs before the forks
        pass


    def test_forks_and_the_child_returns():
        pid = os.fork()
        if pid == 0:
            return  # the child goes on with pytest: this test's teardown, the next tests, the end
        assert os.waitpid(pid, 0)[1] == 0


    def test_forks_and_the_child_exits_at_once():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0


    def test_leaks_after_the_forks():
        KEPT.append(bytearray(1000))
    """}


def test_forked_children_leave_the_parent_alone(tmp_path, tmp):
    """Each fork's child runs pytest's hooks (the rest of the session, its end) or exits at
    once: it must not measure, judge, report, write the JSON or remove anything."""
    suite = write_suite(tmp_path / "suite", FORKING_SUITE)
    report = tmp_path / "report.json"
    r = run_inner(suite, "--heapdiff", "--heapdiff-json=%s" % report, tmp=tmp)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "INTERNALERROR" not in out and "Traceback" not in out, out
    # Only the parent judged: each test once, no child's runs among them.
    assert leaking_tests(report) == (4, ["test_forks.py::test_leaks_after_the_forks"])
    assert json.loads(report.read_text())["errors"] == []
    assert out.count("heapdiff: 1 leaking test of 4 measured") == 1  # and the children print no summary
    assert left_behind(tmp) == []


OUTLIVING_SUITE = {"test_daemon.py": """
    import os
    import time

    import pytest


    def test_first():  # measured: the judging process runs before the fork
        pass


    @pytest.mark.no_heapdiff
    def test_starts_a_daemon():
        pid = os.fork()
        if pid == 0:  # a daemon that outlives the session, with every descriptor it inherited
            with open(os.environ["DAEMON_PID"], "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)
            os._exit(0)
    """}


def test_a_forked_child_that_outlives_the_session_does_not_hang_it(tmp_path, tmp):
    suite = write_suite(tmp_path / "suite", OUTLIVING_SUITE)
    pid_file = tmp_path / "daemon.pid"
    output = tmp_path / "output.txt"
    try:
        with open(str(output), "w") as out:  # a file, not a pipe: the daemon keeps it open
            started = time.monotonic()
            r = run_inner(suite, "--heapdiff", tmp=tmp, timeout=60, extra_env={"DAEMON_PID": str(pid_file)},
                          stdout=out, stderr=subprocess.STDOUT)
        text = output.read_text()
        assert r.returncode == 0 and "2 passed" in text, text
        assert time.monotonic() - started < 60
        assert "heapdiff: 0 leaking tests of 1 measured" in text
        assert left_behind(tmp) == []
    finally:
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


# --- bad options ---------------------------------------------------------------------------

RAN = "ran.txt"
MARKING_SUITE = {"test_marks.py": """
    def test_marks_that_it_ran():
        open(%r, "w").close()
    """ % RAN}


def _bad_option(tmp_path, case):
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_text("not a directory\n")
    return {
        "json is a directory": ("--heapdiff-json=%s" % (tmp_path / "a-directory"), "Is a directory"),
        "json in a missing directory": ("--heapdiff-json=%s" % (tmp_path / "missing" / "r.json"), "No such file"),
        "json unwritable": ("--heapdiff-json=/proc/heapdiff-report.json", "cannot write it"),
        "json under a file": ("--heapdiff-json=%s" % (tmp_path / "a-file" / "r.json"), "Not a directory"),
        "dir is a file": ("--heapdiff-dir=%s" % (tmp_path / "a-file"), "not a directory"),
        "dir unwritable": ("--heapdiff-dir=/proc/heapdiff-snapshots", "cannot"),
    }[case]


@pytest.mark.parametrize("case", ["json is a directory", "json in a missing directory", "json unwritable",
                                  "json under a file", "dir is a file", "dir unwritable"])
def test_bad_output_options_are_usage_errors_before_any_test_runs(tmp_path, tmp, case):
    option, reason = _bad_option(tmp_path, case)
    suite = write_suite(tmp_path / "suite", MARKING_SUITE)
    r = run_inner(suite, "--heapdiff", option, tmp=tmp)
    assert r.returncode == 4, r.stdout + r.stderr  # pytest's usage error
    assert "Traceback" not in r.stdout + r.stderr and "INTERNALERROR" not in r.stdout + r.stderr, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: " + option.split("=")[0]), r.stderr
    assert reason in errors[0], errors
    assert not (suite / RAN).exists()
    assert left_behind(tmp) == []
    assert sorted(os.listdir(str(tmp_path))) == ["a-directory", "a-file", "suite", "tmpdir"]  # nothing created


# --- every way a session ends --------------------------------------------------------------

ENDINGS = {
    "interrupted": ({"test_stop.py": """
        import glob
        import os
        import signal
        import tempfile
        import time


        def test_first():
            pass


        def test_presses_ctrl_c():
            # Once the judging process runs (it opens its results file first), as the
            # terminal does: SIGINT to pytest and its judge.
            results = os.path.join(tempfile.gettempdir(), "heapdiff-pytest-*", "results.jsonl")
            deadline = time.monotonic() + 60
            while not glob.glob(results) and time.monotonic() < deadline:
                time.sleep(0.02)
            os.killpg(os.getpgid(0), signal.SIGINT)
        """}, 2),
    "a failing session start": ({"conftest.py": """
        def pytest_sessionstart(session):
            raise RuntimeError("the session cannot start")
        """, "test_x.py": "def test_x():\n    pass\n"}, 3),
    "a failing test and a collection error": ({"test_fails.py": """
        def test_first():
            pass


        def test_fails():
            assert False
        """, "test_broken.py": "import no_such_module_anywhere\n"}, 1),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_nothing_is_left_behind_however_the_session_ends(tmp_path, tmp, ending):
    files, status = ENDINGS[ending]
    suite = write_suite(tmp_path / "suite", files)
    # SIGINT as a terminal has it: a test command run in the background of a shell without job
    # control inherits SIGINT ignored, and a Python started so never raises KeyboardInterrupt.
    r = run_inner(suite, "--heapdiff", "--continue-on-collection-errors", tmp=tmp, start_new_session=True,
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == status, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr  # nor the judging process's on Ctrl-C
    assert left_behind(tmp) == []


def test_a_json_report_that_cannot_be_written_at_the_end_is_one_line(tmp_path, tmp):
    out = tmp_path / "out"
    out.mkdir()
    suite = write_suite(tmp_path / "suite", {"test_removes.py": """
        import os


        def test_removes_the_report_directory():
            if os.path.isdir(%r):
                os.rmdir(%r)
        """ % (str(out), str(out))})
    r = run_inner(suite, "--heapdiff", "--heapdiff-json=%s" % (out / "report.json"), tmp=tmp)
    assert r.returncode != 0 and "1 passed" in r.stdout, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr and "INTERNALERROR" not in r.stdout + r.stderr, r.stdout + r.stderr
    lines = [line for line in (r.stdout + r.stderr).splitlines() if "--heapdiff-json" in line]
    assert len(lines) == 1 and "not written" in lines[0] and str(out / "report.json") in lines[0], lines
    assert left_behind(tmp) == []


# --- the private directory itself ------------------------------------------------------------

def test_the_private_directory_is_owner_only_and_removal_never_follows_a_link(tmp_path, monkeypatch):
    from heapdiff_pytest import privatedir

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("kept\n")
    private = privatedir.create()
    assert os.path.dirname(private.path) == str(tmp_path)
    assert os.path.basename(private.path).startswith(PRIVATE_PREFIX)
    assert os.stat(private.path).st_mode & 0o777 == 0o700
    os.symlink(str(elsewhere), os.path.join(private.path, "planted"))
    assert privatedir.remove(private) is None
    assert not os.path.lexists(private.path)
    assert (elsewhere / "precious").read_text() == "kept\n"  # the link went, not what it points to


def test_the_private_directory_is_removed_by_its_creator_and_safely_only(tmp_path, monkeypatch):
    from heapdiff_pytest import privatedir

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    private = privatedir.create()
    # Another process (a forked child): nothing removed.
    foreign = privatedir.PrivateDir(private.path, private.owner_pid + 1)
    assert privatedir.remove(foreign) is None and os.path.isdir(private.path)
    # Another directory swapped in under its name (same path, another inode): left, and said so.
    os.rename(private.path, private.path + ".moved")
    os.mkdir(private.path)
    (tmp_path / (os.path.basename(private.path))).joinpath("theirs").write_text("x")
    why = privatedir.remove(private)
    assert why == "%s left in place: it is no longer the directory heapdiff made, or holds a directory" % private.path
    assert os.path.isfile(os.path.join(private.path, "theirs"))
    os.remove(os.path.join(private.path, "theirs"))
    os.rmdir(private.path)
    os.rename(private.path + ".moved", private.path)
    # A subdirectory inside (heapdiff makes none): the directory is left, and said so.
    os.mkdir(os.path.join(private.path, "sub"))
    assert privatedir.remove(private).endswith("left in place: it is no longer the directory heapdiff made, or holds a directory")
    os.rmdir(os.path.join(private.path, "sub"))
    monkeypatch.undo()
    assert privatedir.remove(private) is None and not os.path.lexists(private.path)
