"""python -m heapdiff run [options] -- script.py [args]   (or: run [options] -m module [args])

Installs the dump triggers (heapdiff.install) and runs the program in this interpreter, as
`python script.py args` would: same sys.argv, sys.path[0] and exit status.
"""

import argparse
import os
import runpy
import sys

USAGE = "python -m heapdiff run [options] (-- script.py | -m module) [args ...]"


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m heapdiff run", usage=USAGE,
        description="Run a Python program with heapdiff's dump triggers installed: dump the heap "
                    "on a signal, at exit, periodically, or when the RSS crosses a threshold. "
                    "Snapshots go to DIR as heapdiff-<pid>-<YYYYmmdd-HHMMSS>-<reason>.hds, with "
                    "one line on stderr each. See docs/TRIGGERS.md.")
    p.add_argument("--dir", default=".", help="where snapshots go (default: the current directory)")
    p.add_argument("--signal", default="USR2", help="dump on this signal (default USR2; 'none': no handler)")
    p.add_argument("--at-exit", action="store_true", help="dump when the program exits")
    p.add_argument("--every", help="dump periodically: 500ms, 30s, 5m, 1h")
    p.add_argument("--keep", default="5", help="periodic snapshots kept on disk (default 5; 'all')")
    p.add_argument("--rss", help="dump when the RSS reaches this: bytes, 2GiB, or 80%% of the memory limit")
    p.add_argument("--max-dumps", default="3", help="at most this many RSS dumps (default 3; 'none')")
    p.add_argument("--min-interval", default="5s", help="at least this long between RSS dumps (default 5s)")
    p.add_argument("--escalate", help="after an RSS dump, raise the threshold 'halfway' to the limit "
                                      "(default when a limit is known) or by a percentage (10%%)")
    p.add_argument("--label", help="prefix for every snapshot's label")
    p.add_argument("--no-tracebacks", action="store_true", help="do not record allocation tracebacks")
    p.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                   help="start tracemalloc with FRAMES frames first, so snapshots carry allocation tracebacks")
    return p


def _split(argv):
    """(option tokens, ("path"|"module", target, args)) from the arguments after "run"."""
    for i, token in enumerate(argv):
        if token == "--":
            rest = argv[i + 1:]
            if rest[:1] == ["-m"]:
                return argv[:i], ("module", rest[1:2], rest[2:])
            return argv[:i], ("path", rest[:1], rest[1:])
        if token == "-m":
            return argv[:i], ("module", argv[i + 1:i + 2], argv[i + 2:])
    return argv, ("path", [], [])


def _limit(text):
    return None if text.strip().lower() in ("none", "all", "unlimited") else int(text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: " + USAGE + "\n\nSee python -m heapdiff run --help.", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] != "run":
        print("python -m heapdiff: unknown command %r (try: %s)" % (argv[0], USAGE), file=sys.stderr)
        return 2
    options, (kind, target, args) = _split(argv[1:])
    parser = _parser()
    ns = parser.parse_args(options)
    if not target:
        parser.error("no program to run: put it after -- (script.py) or -m (module)")

    import heapdiff

    try:
        heapdiff.install(ns.dir, signal=ns.signal, at_exit=ns.at_exit, every=ns.every, keep=_limit(ns.keep),
                         rss=ns.rss, max_dumps=_limit(ns.max_dumps), min_interval=ns.min_interval,
                         escalate=ns.escalate, label=ns.label, tracebacks=not ns.no_tracebacks,
                         tracemalloc=ns.tracemalloc)
    except (ValueError, TypeError) as e:
        parser.error(str(e))

    if kind == "path":
        script = target[0]
        if not os.path.isfile(script):
            print("python -m heapdiff run: can't open file %r" % script, file=sys.stderr)
            return 2
        sys.argv = [script] + args
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
    else:
        sys.argv = [target[0]] + args  # run_module puts the module's file in argv[0]
        sys.path[0] = os.getcwd()
        runpy.run_module(target[0], run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
