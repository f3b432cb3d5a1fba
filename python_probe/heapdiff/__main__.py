"""python -m heapdiff run [options] -- script.py [args]   (or: run [options] -m module [args])

Installs the dump triggers (heapdiff.install) and runs the program in this interpreter, as
`python script.py args` would: same sys.argv, sys.path[0] and exit status.
"""

import argparse
import os
import runpy
import sys

from heapdiff import triggers

USAGE = "python -m heapdiff run [options] (-- script.py | -m module) [args ...]"


def _parser():
    """The options of heapdiff.triggers.OPTIONS, as flags. An option not given is absent
    from the namespace, so install() applies its own default."""
    p = argparse.ArgumentParser(
        prog="python -m heapdiff run", usage=USAGE, argument_default=argparse.SUPPRESS,
        description="Run a Python program with heapdiff's dump triggers installed: dump the heap "
                    "on a signal, at exit, periodically, or when the RSS crosses a threshold. "
                    "Snapshots go to DIR as heapdiff-<pid>-<YYYYmmdd-HHMMSS>-<reason>.hds, with "
                    "one line on stderr each. See docs/TRIGGERS.md.")
    for option in triggers.OPTIONS:
        if option.from_text is triggers.parse_bool:
            switch = "store_false" if option.flag.startswith("--no-") else "store_true"
            p.add_argument(option.flag, dest=option.name, action=switch, help=option.help)
        else:
            p.add_argument(option.flag, dest=option.name, metavar=option.flag[2:].replace("-", "_").upper(),
                           help=option.help)
    return p


def _install_options(parser, namespace):
    """install() keyword arguments from the parsed flags; a bad value is a usage error."""
    flags = {o.name: o.flag for o in triggers.OPTIONS}
    kwargs = {}
    for name, value in vars(namespace).items():
        try:
            kwargs[name] = triggers.option_from_text(name, value, flags[name]) if isinstance(value, str) else value
        except ValueError as e:
            parser.error(str(e))
    return kwargs


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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: " + USAGE + "\n\nSee python -m heapdiff run --help.", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "--version":
        import heapdiff
        print("heapdiff %s" % heapdiff.__version__)
        return 0
    if argv[0] != "run":
        print("python -m heapdiff: unknown command %r (try: %s)" % (argv[0], USAGE), file=sys.stderr)
        return 2
    options, (kind, target, args) = _split(argv[1:])
    parser = _parser()
    ns = parser.parse_args(options)
    if not target:
        parser.error("no program to run: put it after -- (script.py) or -m (module)")

    options = _install_options(parser, ns)
    if kind == "path" and not os.path.isfile(target[0]):
        print("python -m heapdiff run: can't open file %r" % target[0], file=sys.stderr)
        return 2
    try:
        triggers.install(**options)
    except (ValueError, TypeError) as e:
        parser.error(str(e))

    if kind == "path":
        script = target[0]
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
