"""Running the `heapdiff` command from inside the inspected process.

The analysis runs in a child process so the process being debugged only pays for the dump:
every call writes a snapshot into a private temporary directory (removed at exit) and runs
the analyzer on it with --json.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import heapdiff

ENV_VAR = "HEAPDIFF_CLI"


class AnalyzerError(RuntimeError):
    """The heapdiff command is missing, or refused its input (its message says why)."""


def cli_path():
    """The heapdiff command: $HEAPDIFF_CLI, else next to this interpreter (where pip puts
    it), else on PATH. AnalyzerError when there is none."""
    override = os.environ.get(ENV_VAR)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise AnalyzerError("%s=%s is not an executable file" % (ENV_VAR, override))
    beside = os.path.join(os.path.dirname(sys.executable), "heapdiff")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("heapdiff")
    if found:
        return found
    raise AnalyzerError(
        "the heapdiff command was not found next to %s nor on PATH; install heapdiff into this "
        "environment (pip install heapdiff) or set %s to its path" % (sys.executable, ENV_VAR))


_lock = threading.Lock()
_workdir = None
_counter = 0


def _private_dir():
    global _workdir
    if _workdir is None:
        _workdir = tempfile.mkdtemp(prefix="heapdiff-api-")
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def temp_snapshot(label=None, tracebacks=False, collect=False):
    """Dump this process into a new file of the private directory; returns its path."""
    global _counter
    with _lock:
        _counter += 1
        path = os.path.join(_private_dir(), "%d-%d.hds" % (os.getpid(), _counter))
    return heapdiff.dump(path, label=label, tracebacks=tracebacks, collect=collect)


def remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _check(proc, args, out, err):
    if proc.returncode != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        raise AnalyzerError(lines[-1] if lines else "heapdiff %s exited with %d" % (args[0], proc.returncode))


def run(*args, json_lines=False, stderr=None):
    """Run `heapdiff ARGS`; parsed JSON when --json is among them (a list of documents with
    json_lines), else the text. The command's other stderr lines (warnings, "drew N
    objects into ...") go to `stderr` when given."""
    return start(*args, json_lines=json_lines, stderr=stderr)()


def start(*args, json_lines=False, stderr=None):
    """Start `heapdiff ARGS`; returns a function that waits and returns what run() does."""
    args = [str(a) for a in args]
    exe = cli_path()
    proc = subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, env=dict(os.environ, NO_COLOR="1"))

    def wait():
        out, err = proc.communicate()
        _check(proc, args, out, err)
        if stderr is not None and err:
            stderr.write(err)
        if "--json" not in args:
            return out
        try:
            if json_lines:
                return [json.loads(line) for line in out.split("\n") if line.strip()]
            return json.loads(out)
        except ValueError as e:
            raise AnalyzerError("heapdiff %s printed something that is not JSON: %s" % (args[0], e))

    return wait
