# What `heapdiff attach PID` runs inside the target, at its main thread's next safe point
# (a pending call queued by gdb on CPython 3.8-3.13, sys.remote_exec on 3.14+).
#
# It is not imported: the heapdiff command embeds this text and writes it into a request
# directory in the target's /tmp (cli/src/attach/attach_request.h): agent.py and stub.py are the
# attaching user's, and only `work/` beside them is the target's user's, with `request` in
# it. The target executes this with fresh globals (__name__ "__heapdiff_attach__",
# __file__ its path), so nothing it does binds a name in the program's __main__. It imports
# heapdiff (from the target's environment, or from the attaching heapdiff's package when
# the extension's ABI tag matches), writes the snapshot or installs the triggers, and
# reports in `work/status`, replaced atomically at every step ("started", "walking" or
# "installing", then "done" or "error"). The agent claims the request by renaming
# `request` to `request.claimed`; the attaching side withdraws it at its deadline by
# renaming it to `request.withdrawn`. One of the two renames wins, so a late agent does
# nothing and a withdrawn request is never half-done. The attaching side removes the
# directory; once its --timeout has passed it is gone, and the agent's reports fail
# quietly (nobody is waiting). Every name is opened relative to work/'s descriptor, with
# O_NOFOLLOW|O_EXCL for what it creates, so a link planted there is never followed.
# Both files are "key=hexbytes" lines (any path fits). Runs on every CPython heapdiff
# supports (3.8 syntax).


def _heapdiff_attach(script):
    import os

    try:
        work = os.open(os.path.join(os.path.dirname(script), "work"),
                       os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return  # withdrawn, and the attaching side removed it
    try:
        _heapdiff_attach_in(work)
    finally:
        os.close(work)


def _heapdiff_attach_in(work):
    import binascii
    import os
    import sys
    import time

    started = time.perf_counter()

    def read_fields(name):
        fields = {}
        with os.fdopen(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=work), "rb") as f:
            for line in f.read().splitlines():
                key, _, value = line.partition(b"=")
                fields[key.decode("ascii")] = binascii.unhexlify(value)
        return fields

    def report(_dir=None, **fields):
        text = b"".join(b"%s=%s\n" % (k.encode("ascii"), binascii.hexlify(v if isinstance(v, bytes) else str(v).encode("utf-8", "backslashreplace")))
                        for k, v in fields.items())
        try:
            try:
                os.unlink("status.tmp", dir_fd=work if _dir is None else _dir)
            except FileNotFoundError:
                pass
            fd = os.open("status.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=work if _dir is None else _dir)
            with os.fdopen(fd, "wb") as f:
                f.write(text)
            d = work if _dir is None else _dir
            os.replace("status.tmp", "status", src_dir_fd=d, dst_dir_fd=d)
        except OSError:
            pass  # the attaching side stopped waiting (its --timeout) and removed the directory

    try:
        os.rename("request", "request.claimed", src_dir_fd=work, dst_dir_fd=work)
    except OSError:
        return  # withdrawn: the attaching side gave up, said so, and removes the directory
    request = read_fields("request.claimed")
    report(state="started")

    class _Refused(Exception):
        pass

    def import_heapdiff():
        try:
            import heapdiff
            return heapdiff
        except ImportError as e:
            own = e
        import importlib.machinery
        import importlib.util

        tag = importlib.machinery.EXTENSION_SUFFIXES[0]  # ".cpython-311-x86_64-linux-gnu.so"
        built_for = []
        for package in request["packages"].split(b"\0") if request["packages"] else []:
            package = os.fsdecode(package)
            try:
                probes = [f for f in os.listdir(package) if f.startswith("_probe.")]
            except OSError:
                continue
            if not any(f.endswith(tag) for f in probes):
                built_for.extend(f[len("_probe."):] for f in probes)
                continue
            spec = importlib.util.spec_from_file_location(
                "heapdiff", os.path.join(package, "__init__.py"), submodule_search_locations=[package])
            module = importlib.util.module_from_spec(spec)
            sys.modules["heapdiff"] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                for name in [n for n in sys.modules if n == "heapdiff" or n.startswith("heapdiff.")]:
                    del sys.modules[name]
                raise
            return module
        python = "CPython %s at %s" % (sys.version.split()[0], sys.executable)
        raise _Refused(
            "cannot import heapdiff in the target (%s: %s)%s; install it there: %s -m pip install heapdiff"
            % (python, own, "" if not built_for else ", and the attaching heapdiff is built for " + " ".join(sorted(set(built_for))),
               sys.executable))

    try:
        heapdiff = import_heapdiff()
        action = request["action"]
        if action == b"dump":
            import tracemalloc

            report(state="walking")
            tracebacks = request["tracebacks"] == b"1"
            label = request["label"].decode("utf-8", "replace") if request["label"] else None
            output = os.fsdecode(request["output"])
            note = ""
            if tracebacks and not tracemalloc.is_tracing():
                note = "tracemalloc is not tracing in the target, so the snapshot has no tracebacks"
            if request.get("fork", b"0") != b"1":
                path = heapdiff.dump(output, label=label, tracebacks=tracebacks)
                report(state="done", path=os.fsencode(path), pause=time.perf_counter() - started, note=note,
                       python=sys.version.split()[0])
                return
            handle = heapdiff.dump(output, label=label, tracebacks=tracebacks, fork=True)
            pause = time.perf_counter() - started
            if handle.pid is None:
                note = "; ".join(n for n in (note, "not forked (%s): the dump ran in-process" % handle.why_not_forked) if n)
                report(state="done", path=os.fsencode(output), pause=pause, note=note, python=sys.version.split()[0])
                return
            # The child walks while the target goes on: its main thread must not wait for it,
            # so a thread of ours does, with a descriptor of its own for work/ (ours is
            # closed when this returns).
            import threading

            own = os.dup(work)

            def finish():
                try:
                    handle.wait()
                    report(own, state="done", path=os.fsencode(output), pause=pause, note=note,
                           python=sys.version.split()[0])
                except Exception as e:
                    report(own, state="error", message=str(e), python=sys.version.split()[0])
                finally:
                    os.close(own)

            threading.Thread(target=finish, name="heapdiff-attach-fork", daemon=True).start()
        else:
            from heapdiff import triggers

            report(state="installing")
            options = triggers.parse_spec(request["spec"].decode("utf-8"))
            directory = options.get("directory", ".")
            options["directory"] = os.path.join(os.fsdecode(request["cwd"]), directory)
            triggers.install(**options)
            report(state="done", path=os.fsencode(options["directory"]), pause=time.perf_counter() - started,
                   python=sys.version.split()[0])
    except (Exception, KeyboardInterrupt) as e:
        message = str(e) if isinstance(e, (_Refused, OSError, ValueError, TypeError)) else "%s: %s" % (type(e).__name__, e)
        report(state="error", message=message, python=sys.version.split()[0])
        if isinstance(e, KeyboardInterrupt):
            raise


_heapdiff_attach(__file__)
