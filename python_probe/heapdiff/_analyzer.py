"""Running the `heapdiff` command from inside the inspected process.

The analysis runs in a child process so the process being debugged only pays for the dump:
every call writes a snapshot into a private temporary directory (removed at exit) and runs
the analyzer on it with --json.

That directory is made, and removed, through the probe's safe_files (core/include/heapdiff/
safe_files.h) as every file heapdiff makes where others may write: mode 0700, made and
checked relative to the temporary directory's descriptor; at exit only the process that
made it removes it (a forked child makes its own), and only while it is still that
directory, with only the snapshot names this process put there, never following a link.
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import heapdiff
from heapdiff import _probe

ENV_VAR = "HEAPDIFF_CLI"


class AnalyzerError(RuntimeError):
    """The heapdiff command is missing, or refused its input (its message says why).

    `kind` says which, for code that acts on it: "usage" (the arguments do not fit),
    "bad_snapshot" (a file is missing, unreadable or not a sound snapshot), "not_found"
    (no such object or type in the snapshot), or "error" (anything else: no command,
    killed, cannot write its output). It comes from the command's exit code and, with
    --json, from the "kind" of the JSON error it prints."""

    def __init__(self, message, kind="error"):
        super().__init__(message)
        self.kind = kind


# The command's exit codes (README.md, "Errors and exit codes") and the kinds they mean.
EXIT_KINDS = {2: "usage", 3: "bad_snapshot", 4: "not_found"}


def cli_path():
    """The heapdiff command: $HEAPDIFF_CLI, else next to this interpreter (where pip puts
    it), else on PATH. AnalyzerError when there is none."""
    override = os.environ.get(ENV_VAR)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise AnalyzerError("%s=%s is not an executable file" % (ENV_VAR, override))
    executable = sys.executable or ""  # empty or None when embedded
    beside = os.path.join(os.path.dirname(executable), "heapdiff")
    if executable and os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("heapdiff")
    if found:
        return found
    raise AnalyzerError(
        "the heapdiff command was not found next to %s nor on PATH; install heapdiff into this "
        "environment (pip install heapdiff) or set %s to its path" % (executable or "this interpreter", ENV_VAR))


_lock = threading.Lock()
_workdir = None  # this process's private directory: (path, st_dev, st_ino, pid that made it)
_names = set()  # the snapshot names this process put there and has not removed
_counter = 0


def _private_dir():
    """The private directory of this process, made at the first call (and again in a forked
    child: its parent's is the parent's)."""
    global _workdir
    if _workdir is None or _workdir[3] != os.getpid():
        made, device, inode = _probe.make_private_directory(os.fsencode(tempfile.gettempdir()), b"heapdiff-api-")
        _workdir = (os.fsdecode(made), device, inode, os.getpid())
        _names.clear()
        atexit.register(_remove_private_dir, _workdir)
    return _workdir[0]


def _remove_private_dir(workdir):
    path, device, inode, pid = workdir
    if os.getpid() != pid:  # the exit of a forked child: the directory is not its own
        return
    try:
        _probe.remove_private_directory(os.fsencode(path), device, inode, sorted(os.fsencode(n) for n in _names))
    except OSError:
        pass


def temp_snapshot(label=None, tracebacks=False, collect=False):
    """Dump this process into a new file of the private directory; returns its path."""
    global _counter
    with _lock:
        _counter += 1
        name = "%d-%d.hds" % (os.getpid(), _counter)
        path = os.path.join(_private_dir(), name)
        _names.add(name)
    return heapdiff.dump(path, label=label, tracebacks=tracebacks, collect=collect)


def remove(path):
    """Remove a snapshot heapdiff wrote: only a regular file of this user, never through a
    link (safe_files' remove_file)."""
    try:
        _probe.remove_own_file(os.fsencode(path))
    except (OSError, ValueError, TypeError):
        pass
    if _workdir is not None and os.path.dirname(os.fspath(path)) == _workdir[0]:
        _names.discard(os.path.basename(path))


# The command writes UTF-8 whatever the locale (type names, dict keys and str values are
# the program's own text); decoding it with the locale's codec failed under LC_ALL=C.
ENCODING = "utf-8"


def _decode(data):
    return data.decode(ENCODING, "replace")


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return "signal %d" % signum


def _failure(command, returncode, err):
    """The one-line message for a command that did not succeed: its own last stderr line
    when it wrote one, else how it ended."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    if returncode < 0:
        ending = "was killed by %s" % _signal_name(-returncode)
        return "%s %s" % (command, ending) + (": " + lines[-1] if lines else "")
    if lines:
        return lines[-1]
    return "%s exited with status %d and printed no message" % (command, returncode)


def _error_kind(returncode, out):
    """The kind of a failure: the "kind" of the JSON error on stdout (--json), else what the
    exit code means; "error" when killed or unknown."""
    for line in reversed(out.splitlines()):
        try:
            error = json.loads(line).get("error")
        except (ValueError, AttributeError):
            continue
        if isinstance(error, dict) and isinstance(error.get("kind"), str):
            return error["kind"]
        break
    return EXIT_KINDS.get(returncode, "error")


def file_arg(path):
    """A file name among the command's arguments, as bytes: the file system's encoding,
    as open() would use. Other arguments (type names, globs) go as UTF-8, the encoding of
    the names in a snapshot, whatever the locale. A name the file system's encoding cannot
    hold (no such file can exist) goes as UTF-8, for the command to say it cannot open it."""
    try:
        return os.fsencode(path)
    except UnicodeEncodeError:
        return os.fspath(path).encode(ENCODING, "surrogateescape")


def run(*args, json_lines=False, stderr=None, read=None):
    """Run `heapdiff ARGS`; parsed JSON when --json is among them (a list of documents with
    json_lines), else the text; with `read`, what read() makes of the parsed JSON. The
    command's other stderr lines (warnings, "drew N objects into ...") go to `stderr` when
    given. Every failure (no command, cannot start it, killed, non-zero exit, output that
    is not the JSON expected) is an AnalyzerError with one line saying what happened."""
    return start(*args, json_lines=json_lines, stderr=stderr, read=read)()


def _spawn(argv, **popen_args):
    """subprocess.Popen(argv, ...), started on a helper thread. A Ctrl-C lands on the main
    thread: had it come while Popen was waiting for the exec (it raises out of Popen with the
    child already running, and no object left to kill it with), the analyzer would go on
    running. Here the main thread only waits, and kills what was started if interrupted."""
    box = {}
    started = threading.Event()

    def target():
        try:
            box["proc"] = subprocess.Popen(argv, **popen_args)
        except BaseException as e:  # handed to the caller
            box["error"] = e
        finally:
            started.set()

    # An Event, not Thread.join(): a join interrupted by Ctrl-C on 3.8-3.11 may mark the
    # thread stopped while it still runs (bpo-45274), and a second join returns at once.
    threading.Thread(target=target, name="heapdiff-analyzer-start", daemon=True).start()
    try:
        started.wait()
    except BaseException:
        started.wait()  # a fork and an exec: it ends at once
        proc = box.get("proc")
        if proc is not None:
            proc.kill()
            proc.wait()
        raise
    if "error" in box:
        raise box["error"]
    return box["proc"]


def start(*args, json_lines=False, stderr=None, read=None):
    """Start `heapdiff ARGS`; returns a function that waits and returns what run() does."""
    argv = [a if isinstance(a, bytes) else str(a).encode(ENCODING, "surrogateescape") for a in args]
    args = [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args]
    exe = cli_path()
    command = "heapdiff %s" % args[0] if args else "heapdiff"
    if os.path.basename(exe) != "heapdiff":
        command += " (%s)" % exe
    try:
        # stdin: the command reads none, and must not take the debugger's terminal.
        proc = _spawn([exe] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    except (OSError, ValueError) as e:
        raise AnalyzerError("cannot run %s: %s" % (exe, getattr(e, "strerror", None) or e)) from None

    def wait():
        try:
            out, err = proc.communicate()
        except BaseException:  # Ctrl-C at the prompt: leave no analyzer running behind
            proc.kill()
            proc.wait()
            raise
        out, err = _decode(out), _decode(err)
        if proc.returncode != 0:
            raise AnalyzerError(_failure(command, proc.returncode, err), _error_kind(proc.returncode, out))
        if stderr is not None and err:
            write(stderr, err)
        if "--json" not in args:
            return out
        return _parse(command, out, json_lines, read)

    return wait


def _parse(command, out, json_lines, read):
    try:
        data = [json.loads(line) for line in out.split("\n") if line.strip()] if json_lines else json.loads(out)
    except ValueError as e:
        raise AnalyzerError("%s --json printed something that is not JSON: %s" % (command, e)) from None
    if read is None:
        return data
    try:
        return read(data)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        raise AnalyzerError("%s --json printed JSON this heapdiff module does not understand (%s: %s)"
                            % (command, type(e).__name__, e)) from None


def write(file, text):
    """file.write(text), escaping what the file's encoding cannot hold (an ASCII stdout
    under LC_ALL=C) rather than failing half-way through an answer."""
    try:
        file.write(text)
    except UnicodeEncodeError:
        encoding = getattr(file, "encoding", None) or "ascii"
        file.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
