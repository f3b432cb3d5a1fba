"""The Python API (heapdiff.count, why_alive, ...) never lets a failure of the heapdiff
command escape as anything but one AnalyzerError, and reads the command's UTF-8 output as
UTF-8 whatever the locale: non-ASCII type names, dict keys and str values come back right
under LC_ALL=C, with or without Python's UTF-8 mode."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import heapdiff

TIMEOUT = 120

UNICODE_CHILD = """
import io, json, os, sys
import heapdiff

class Ünïcødé:
    def __init__(self, i):
        self.note = "значение %d" % i

registry = {"ключ": Ünïcødé(0), "ключ1": Ünïcødé(1), "ключ2": Ünïcødé(2)}
report = {"encoding": sys.getfilesystemencoding(), "utf8_mode": sys.flags.utf8_mode}
report["count"] = heapdiff.count("Ünïcødé")
report["typestats"] = heapdiff.typestats()["Ünïcødé"]
report["by_type"] = sorted(map(id, heapdiff.by_type("Ünïcødé"))) == sorted(map(id, registry.values()))
report["chain"] = [id(o) for o in heapdiff.find_backref_chain(registry["ключ"])] == [
    id(sys.modules["__main__"]), id(globals()), id(registry), id(registry["ключ"])]
text = io.StringIO()
answer = heapdiff.why_alive(registry["ключ"], file=text)
report["edges"] = [h.edge for h in answer.chain]
report["text_has_key"] = "['ключ']" in text.getvalue() and text.getvalue() == answer.text
before = heapdiff.snapshot(label="метка")
registry["ещё"] = Ünïcødé(3)
after = heapdiff.snapshot()
report["label"] = before.summary()["label"]
report["diff"] = [(r.key, r.count_diff) for r in heapdiff.diff(before, after) if "Ü" in r.key]
heapdiff.growth()
registry["ещё2"] = Ünïcødé(4)
report["growth"] = [row for row in heapdiff.growth() if row[0] == "Ünïcødé"]
os.write(2, ("REPORT " + json.dumps(report) + "\\n").encode("ascii"))
# Printed to this process's own stdout, whose encoding may be ASCII: escaped, not an error.
heapdiff.why_alive(registry["ключ"])
heapdiff.show_growth()
heapdiff.show_most_common_types(limit=200)
"""


def c_locale_env(utf8_mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIOENCODING", "PYTHONUTF8"))}
    env.update(LC_ALL="C", LANG="C")
    if utf8_mode is not None:
        env["PYTHONUTF8"] = utf8_mode
    return env


@pytest.mark.parametrize("utf8_mode", [None, "0"], ids=["C locale", "C locale without UTF-8 mode"])
def test_non_ascii_names_keys_and_values_under_the_c_locale(utf8_mode, tmp_path):
    script = tmp_path / "unicode_heap.py"
    script.write_text(UNICODE_CHILD, encoding="utf-8")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, env=c_locale_env(utf8_mode),
                       timeout=TIMEOUT)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0, err
    report_line, = err.splitlines()  # nothing else: no traceback, no warning
    assert report_line.startswith("REPORT "), err
    report = json.loads(report_line[len("REPORT "):])
    assert report["utf8_mode"] == (0 if utf8_mode == "0" else 1)
    assert (report["count"], report["typestats"], report["by_type"], report["chain"]) == (3, 3, True, True)
    assert report["edges"] == ["", "__dict__", "['registry']", "['ключ']"]
    assert report["text_has_key"]
    assert report["label"] == "метка"
    assert report["diff"] == [["__main__.Ünïcødé", 1]]
    assert report["growth"] == [["Ünïcødé", 5, 1]]
    out = r.stdout.decode("utf-8")
    for shown in ("['ключ']", "Ünïcødé"):  # as text (UTF-8 stdout) or escaped (ASCII stdout)
        assert shown in out or shown.encode("ascii", "backslashreplace").decode() in out, out


# --- a heapdiff command that fails ---------------------------------------------------------

FAKE_COMMANDS = {
    "exits 3 silently": ("#!/bin/sh\nexit 3\n", 0o755, r"exited with status 3 and printed no message"),
    "killed by SIGKILL": ("#!/bin/sh\nkill -9 $$\n", 0o755, r"was killed by SIGKILL"),
    "garbage for --json": ("#!/bin/sh\necho 'garbage {'\n", 0o755, r"printed something that is not JSON"),
    "JSON of another shape": ("#!/bin/sh\necho '{\"types\": 5, \"groups\": [1], \"chain\": 2, \"chains\": 3}'\n",
                              0o755, r"JSON this heapdiff module does not understand"),
    "not executable": ("#!/bin/sh\nexit 0\n", 0o644, r"HEAPDIFF_CLI=.* is not an executable file"),
    "not a program": ("\x7fELF but not really\n", 0o755, r"cannot run .*: Exec format error"),
    "missing interpreter": ("#!/nonexistent/interpreter\n", 0o755, r"cannot run .*: No such file"),
}


@pytest.fixture(params=sorted(FAKE_COMMANDS))
def failing_cli(request, tmp_path, monkeypatch):
    text, mode, message = FAKE_COMMANDS[request.param]
    path = tmp_path / "fake-cli"
    path.write_text(text)
    path.chmod(mode)
    monkeypatch.setenv("HEAPDIFF_CLI", str(path))
    return message


class Thing:
    pass


API_CALLS = {
    "count": lambda obj: heapdiff.count("Thing"),
    "typestats": lambda obj: heapdiff.typestats(),
    "most_common_types": lambda obj: heapdiff.most_common_types(),
    "show_growth": lambda obj: heapdiff.show_growth(),
    "by_type": lambda obj: heapdiff.by_type("Thing"),
    "find_backref_chain": lambda obj: heapdiff.find_backref_chain(obj),
    "why_alive": lambda obj: heapdiff.why_alive(obj),
    "summary": lambda obj: heapdiff.snapshot().summary(),
    "diff": lambda obj: heapdiff.diff(heapdiff.snapshot(), heapdiff.snapshot()),
}


def test_every_failure_of_the_command_is_one_analyzer_error(failing_cli, capsys):
    thing = Thing()
    for name, call in API_CALLS.items():
        with pytest.raises(heapdiff.AnalyzerError, match=failing_cli) as caught:
            call(thing)
        message = str(caught.value)
        assert "\n" not in message and caught.value.__cause__ is None, (name, message)
    assert capsys.readouterr().out == ""


def test_ctrl_c_while_the_command_runs_leaves_no_command_behind(tmp_path):
    """KeyboardInterrupt at the prompt while the analyzer runs: the call raises it, and the
    analyzer process is killed and reaped rather than left running."""
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\necho $$ > %s.pid\nexec sleep 600\n" % hang)
    hang.chmod(0o755)
    code = """
        import os, signal, sys, threading, time
        import heapdiff

        # As at an interactive prompt, whatever this test runs under: a shell starts a
        # background job with SIGINT ignored, and Python then keeps it ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)

        def interrupt_once_started():
            while not os.path.exists(%(pid)r):
                time.sleep(0.01)  # polling for the analyzer's pid file
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

        threading.Thread(target=interrupt_once_started, daemon=True).start()
        try:
            heapdiff.count("int")
        except KeyboardInterrupt:
            pid = int(open(%(pid)r).read())
            try:
                os.kill(pid, 0)
                print("analyzer still running")
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                print("analyzer gone")
    """ % {"pid": str(hang) + ".pid"}
    env = dict(os.environ, HEAPDIFF_CLI=str(hang))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                       timeout=TIMEOUT)
    assert (r.returncode, r.stdout) == (0, "analyzer gone\n"), r.stderr
