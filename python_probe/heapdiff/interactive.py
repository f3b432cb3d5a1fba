"""The interactive API: objgraph's verbs at a pdb prompt, backed by the probe and the analyzer.

Every call dumps this process with the probe (no code of the program runs during the walk)
into a private temporary directory and runs the `heapdiff` command on the snapshot in a
child process, so the analysis costs the debugged process nothing but the dump. The answers
are the command's answers on that snapshot; functions that return objects map its addresses
back to the live objects through the collector's own views (id() and type name checked).

Unlike objgraph, counts include every object the probe walks (str, int and other objects
the collector does not track), and nothing calls gc.collect() unless asked (collect=True).
"""

import collections
import gc
import inspect
import os
import sys
import tempfile
import weakref

from heapdiff import _analyzer, _live
from heapdiff._analyzer import AnalyzerError

__all__ = [
    "AnalyzerError", "Chain", "Hop", "Snapshot", "StatisticDiff", "TypeStatistic", "WhyAlive",
    "by_type", "count", "diff", "find_backref_chain", "growth", "memory", "most_common_types", "show_backrefs",
    "show_chain", "show_growth", "show_memory", "show_most_common_types", "show_refs", "snapshot", "typestats",
    "why_alive",
]

# ----------------------------------------------------------------------------- snapshots


TypeStatistic = collections.namedtuple("TypeStatistic", "type count size")
TypeStatistic.__doc__ = "One type of a snapshot: qualified name, objects, bytes."

StatisticDiff = collections.namedtuple("StatisticDiff", "key count size count_diff size_diff new freed")
StatisticDiff.__doc__ = """One row of diff(): the group's key (a type, module, traceback, file or line,
as group_by says), its count and size in the newer snapshot, their changes, and (object
groupings) how many objects are new and how many were freed. Sizes in bytes."""


class Snapshot:
    """A snapshot file of this process (snapshot()), or any written by heapdiff.dump()."""

    def __init__(self, path, label=None, _temporary=False):
        self.path = os.fspath(path)
        self.label = label
        if _temporary:  # ours: removed when the Snapshot goes away
            weakref.finalize(self, _analyzer.remove, self.path)

    def __repr__(self):
        return "<heapdiff.Snapshot %s%s>" % (self.path, " %r" % self.label if self.label else "")

    def summary(self):
        """The analyzer's summary (``heapdiff summary --json``) as a dict, with "types" a list
        of TypeStatistic, most objects first."""
        return _analyzer.run("summary", _analyzer.file_arg(self.path), "--json", read=lambda data: dict(data, types=_type_rows(data)))

    def diff(self, other, group_by="type", **options):
        """diff(self, other, ...): what grew from this snapshot to `other`."""
        return diff(self, other, group_by=group_by, **options)

    def memory(self, *later):
        """Where this process's memory went (``heapdiff memory --json``): this snapshot's
        account of RSS, and with later snapshots the growth and findings up to the last."""
        return memory(self, *later)


def snapshot(path=None, label=None, tracebacks=False, collect=False):
    """Dump this process and return a Snapshot. Without `path` the file goes into a private
    temporary directory and is removed when the Snapshot is no longer referenced."""
    if path is None:
        return Snapshot(_analyzer.temp_snapshot(label, tracebacks, collect), label, _temporary=True)
    from heapdiff import dump

    return Snapshot(dump(path, label=label, tracebacks=tracebacks, collect=collect), label)


def diff(a, b, *more, group_by="type", type=None, include=None, exclude=None, frames=None, min_size=None,
         cumulative=False):
    """What grew from snapshot `a` to `b` (``heapdiff diff --json``; Snapshot objects or paths).

    A list of StatisticDiff, in the analyzer's order: by abs(size_diff), then size,
    abs(count_diff), count and key, like tracemalloc's compare_to. group_by: type, module,
    traceback, filename or lineno (the last three need snapshots taken with tracemalloc
    tracing and tracebacks=True). type, include, exclude: globs (a str or a list of them);
    frames, min_size, cumulative: as the command's options. With three snapshots or more,
    only what was born between the first two and survived in every later one.
    """
    args = ["diff"] + [_analyzer.file_arg(s.path if isinstance(s, Snapshot) else s) for s in (a, b) + more]
    args += ["--group-by", group_by, "--json"]
    for flag, value in (("--type", type), ("--include", include), ("--exclude", exclude)):
        for glob in [value] if isinstance(value, str) else value or ():
            args += [flag, glob]
    if frames is not None:
        args += ["--frames", frames]
    if min_size is not None:
        args += ["--min-size", min_size]
    if cumulative:
        args.append("--cumulative")
    return _analyzer.run(*args, stderr=sys.stderr, read=_diff_rows)


def _memory_args(snapshots, json):
    paths = [s.path if isinstance(s, Snapshot) else s for s in snapshots]
    return ["memory"] + [_analyzer.file_arg(p) for p in paths] + (["--json"] if json else [])


def memory(*snapshots):
    """Where the memory went (``heapdiff memory --json``, docs/MEMORY.md): RSS split into
    Python objects, pymalloc free space, native allocations, malloc free space, mmaps,
    stacks, code and other, per snapshot, the growth from the first to the last, and the
    findings ("native allocations grew by 79 MiB ...: a C-level leak"). Snapshot objects or
    paths, oldest first; none: a snapshot of this process now."""
    if snapshots:
        return _analyzer.run(*_memory_args(snapshots, True))
    now = snapshot()
    return _analyzer.run(*_memory_args([now], True))


def show_memory(*snapshots, file=None):
    """Print ``heapdiff memory``'s account and findings (this process now, without snapshots)."""
    keep = [snapshot()] if not snapshots else list(snapshots)
    _analyzer.write(sys.stdout if file is None else file, _analyzer.run(*_memory_args(keep, False)))


def _diff_rows(data):
    return [StatisticDiff(g["key"], int(g["count"]), int(g["size"]), int(g["count_diff"]), int(g["size_diff"]),
                          int(g["new"]), int(g["freed"])) for g in data["groups"]]


def _type_rows(data):
    """The TypeStatistic rows of a ``summary --json`` document, most objects first."""
    return [TypeStatistic(str(t["type"]), int(t["count"]), int(t["size"])) for t in data["types"]]


# ----------------------------------------------------------------------------- counting


def _types_now(collect=False):
    """TypeStatistic rows of a fresh snapshot of this process."""
    path = _analyzer.temp_snapshot(collect=collect)
    try:
        return _analyzer.run("summary", _analyzer.file_arg(path), "--json", read=_type_rows)
    finally:
        _analyzer.remove(path)


def _matches(name, typename):
    return name == typename if "." in typename else _live.short_name(name) == typename


def typestats(shortnames=True, filter=None, collect=False):
    """{type name: number of live objects}, from a fresh snapshot (the counts of ``heapdiff
    summary --json``). Names are short ("DB") or, with shortnames=False, qualified
    ("app.DB"); short names of different types add up. Every object counts, not only the
    ones the collector tracks.

    filter: a predicate on objects (objgraph's): the counts then come from the live objects
    the collector can reach, and your predicate runs on each, so it may run your code.
    """
    if collect:
        gc.collect()
    stats = {}
    if filter is None:
        for t in _types_now():
            name = _live.short_name(t.type) if shortnames else t.type
            stats[name] = stats.get(name, 0) + t.count
        return stats
    for o in _live._walk():
        if filter(o):
            name = _live.type_name(o)
            name = _live.short_name(name) if shortnames else name
            stats[name] = stats.get(name, 0) + 1
    return stats


def count(typename, collect=False):
    """How many live objects have that type: a short ("DB") or qualified ("app.DB") name."""
    if collect:
        gc.collect()
    return sum(t.count for t in _types_now() if _matches(t.type, typename))


def most_common_types(limit=10, shortnames=True, filter=None):
    """[(type name, count)], most objects first, at most `limit` (None: all)."""
    stats = sorted(typestats(shortnames, filter).items(), key=lambda kv: (-kv[1], kv[0]))
    return stats[:limit] if limit else stats


def show_most_common_types(limit=10, shortnames=True, file=None, filter=None):
    """Print the types with the most objects, like objgraph's."""
    stats = most_common_types(limit, shortnames, filter)
    file = sys.stdout if file is None else file
    width = max((len(name) for name, _ in stats), default=0)
    _analyzer.write(file, "".join("%-*s %i\n" % (width, name, n) for name, n in stats))


_peak_stats = {}


def growth(limit=10, peak_stats=None, shortnames=True, filter=None, collect=False):
    """[(type name, count, growth)]: the types whose count rose above its highest count seen
    by earlier calls (peak_stats, updated; the module's own by default), most growth first.
    The first call sets the baseline (and reports every type, from zero)."""
    peak_stats = _peak_stats if peak_stats is None else peak_stats
    stats = typestats(shortnames, filter, collect)
    deltas = []
    for name, n in stats.items():
        if n > peak_stats.get(name, 0):
            deltas.append((name, n, n - peak_stats.get(name, 0)))
            peak_stats[name] = n
    deltas.sort(key=lambda row: (-row[2], row[0]))
    return deltas[:limit] if limit else deltas


def show_growth(limit=10, peak_stats=None, shortnames=True, file=None, filter=None, collect=False):
    """Print the growth in object counts since the previous call, like objgraph's:
    name, count now, +growth. collect=True runs gc.collect() first (objgraph always does,
    which hides cyclic garbage piling up; heapdiff does not unless asked)."""
    rows = growth(limit, peak_stats, shortnames, filter, collect)
    file = sys.stdout if file is None else file
    width = max((len(name) for name, _, _ in rows), default=0)
    _analyzer.write(file, "".join("%-*s%9d %+9d\n" % (width, name, n, delta) for name, n, delta in rows))


def by_type(typename, collect=False):
    """The live objects of a type (short or qualified name), in snapshot order: by_type(n)[-1]
    is what ``heapdiff backrefs --type n`` picks. Every object counts, str and int too."""
    path = _analyzer.temp_snapshot(collect=collect)
    try:
        wanted = _analyzer.run("refs", _analyzer.file_arg(path), "--type", typename, "--pick", "all", "--json", json_lines=True,
                               read=_objects_of)
    except AnalyzerError as e:
        if e.kind == "not_found":
            return []
        raise
    finally:
        _analyzer.remove(path)
    found = _live.objects_at(wanted)
    return [found[a] for a in wanted if a in found]


# ----------------------------------------------------------------------------- chains


Hop = collections.namedtuple("Hop", "obj edge type label address")
Hop.__doc__ = """One object of a chain: the live object, the label of the reference that leads
to it from the one before ("" for the start), its type, short text and address."""


class Chain(list):
    """A chain of Hops from the start (a module, a root) down to the object."""

    @property
    def objects(self):
        return [h.obj for h in self]

    def __str__(self):
        return " -> ".join((h.edge + " " if h.edge else "") + h.label for h in self)


def _objects_of(rows):
    """{address: type name} of ``refs --pick all --json``'s documents, in their order."""
    return collections.OrderedDict((int(r["object"]["address"], 16), str(r["object"]["type"])) for r in rows)


def _hops(rows):
    """[(address, type, edge, label)] of a chain in ``backrefs --json``."""
    return [(int(r["address"], 16), str(r["type"]), str(r["edge"]), str(r["label"])) for r in rows]


def _chain_from_json(hops, last):
    objects = _live.follow_chain([(address, type_name) for address, type_name, _, _ in hops], last)
    if objects is None:
        raise AnalyzerError("the heap changed since the snapshot: the chain no longer holds")
    return Chain(Hop(o, edge, type_name, label, address) for o, (address, type_name, edge, label) in zip(objects, hops))


def _start_of(predicate):
    """The backrefs --to value for a predicate, or None when only Python can test it."""
    if predicate is inspect.ismodule or getattr(predicate, "__name__", None) == "is_proper_module":
        return "module"
    if isinstance(predicate, str):
        return predicate
    if isinstance(predicate, type):
        return _type_text(predicate)
    return None


def _type_text(tp):
    if tp.__flags__ & _live._HEAPTYPE:
        module = tp.__dict__.get("__module__")
        return (module + "." if isinstance(module, str) and module else "") + tp.__qualname__
    return type.__dict__["__module__"].__get__(tp) + "." + tp.__name__


def _python_chain(obj, predicate, max_depth, extra_ignore):
    """objgraph's breadth-first search over gc.get_referrers, in this process; this
    module's frames and containers are left out."""
    queue, depth, parent, objects = [obj], {id(obj): 0}, {id(obj): None}, {id(obj): obj}
    ignore = set(extra_ignore) | {id(queue), id(depth), id(parent), id(objects)}
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_filename == __file__:
        ignore.add(id(frame))
        frame = frame.f_back
    del frame
    while queue:
        target = queue.pop(0)
        if predicate(target):
            chain = [target]
            while parent[id(chain[-1])] is not None:
                chain.append(objects[parent[id(chain[-1])]])
            return chain
        if depth[id(target)] >= max_depth:
            continue
        referrers = gc.get_referrers(target)
        ignore.add(id(referrers))
        for r in referrers:
            if id(r) not in depth and id(r) not in ignore:
                depth[id(r)] = depth[id(target)] + 1
                parent[id(r)] = id(target)
                objects[id(r)] = r
                queue.append(r)
        del referrers
    return [obj]


def find_backref_chain(obj, predicate=inspect.ismodule, max_depth=20, extra_ignore=()):
    """The shortest chain of references from an object `predicate` accepts down to `obj`:
    [start, ..., obj] (live objects), or [obj] when there is none within max_depth.

    predicate: inspect.ismodule (or objgraph.is_proper_module) asks the analyzer for a chain
    from a module, a type or type name for one from an object of that type, "root" for one
    from anything the collector starts from; these are found on a snapshot, outside the
    process. Any other callable, or extra_ignore (ids to avoid), falls back to objgraph's
    search in this process (gc.get_referrers, breadth-first), which runs the predicate on
    every referrer it meets.
    """
    to = _start_of(predicate)
    if to is None or extra_ignore:
        return _python_chain(obj, predicate, max_depth, extra_ignore)
    path = _analyzer.temp_snapshot()
    try:
        hops = _analyzer.run("backrefs", _analyzer.file_arg(path), "--address", hex(id(obj)), "--to", to, "--max-depth", max_depth,
                             "--json", read=lambda data: _hops(data["chain"]))
    finally:
        _analyzer.remove(path)
    if not hops:
        return [obj]
    return _chain_from_json(hops, obj).objects


class WhyAlive:
    """why_alive()'s answer: .chains (Chain lists of Hops: objects and edge labels), .text
    (what was printed), .retained (bytes freed if the object went away), .show(filename)."""

    def __init__(self, obj, path, to, chains, text, retained):
        self.obj, self._path, self.to = obj, path, to
        self.chains, self.text, self.retained = chains, text, retained
        weakref.finalize(self, _analyzer.remove, path)

    @property
    def chain(self):
        """The shortest chain, or None when no chain was found."""
        return self.chains[0] if self.chains else None

    def __repr__(self):
        n = len(self.chains)
        return "<heapdiff.WhyAlive %s: %d chain%s%s>" % (
            self.chains[0][-1].label if n else type(self.obj).__name__, n, "" if n == 1 else "s",
            ", shortest %d references" % (len(self.chains[0]) - 1) if n else "")

    def show(self, filename=None):
        """Draw the chains (png, svg or dot, by the extension), like objgraph.show_chain."""
        if not self.chains:
            said = self.text.strip().splitlines()
            raise AnalyzerError("no chain to draw" + (": " + said[-1] if said else ""), "not_found")
        filename = _drawing_name(filename)
        _analyzer.run("backrefs", _analyzer.file_arg(self._path), *_chain_args(self.chains), "-o", _analyzer.file_arg(filename), stderr=sys.stderr)


def why_alive(obj, paths=1, to="module", max_depth=100, file=None):
    """Why is `obj` still alive? Prints the shortest chain(s) of references from a module (to:
    "module"), from anything the collector starts from ("root") or from an object of a type
    (a type or its name) down to obj, one labelled reference per line (``heapdiff backrefs``),
    and returns a WhyAlive with the chains as live objects; .show(filename) draws them.
    paths: how many distinct chains, shortest first."""
    to = _start_of(to) or to
    if not isinstance(to, str):
        raise TypeError("to: 'module', 'root', a type or a type name, not %r" % (to,))
    path = _analyzer.temp_snapshot()
    try:
        args = ("backrefs", _analyzer.file_arg(path), "--address", hex(id(obj)), "--to", to, "--paths", paths, "--max-depth", max_depth)
        text_run = _analyzer.start(*args)  # the text and the JSON at once
        try:
            found, retained = _analyzer.start(*args + ("--json",), read=_chains_and_retained)()
        finally:
            text = text_run()
        chains = [_chain_from_json(hops, obj) for hops in found]
    except BaseException:
        _analyzer.remove(path)
        raise
    _analyzer.write(sys.stdout if file is None else file, text)
    return WhyAlive(obj, path, to, chains, text, retained)


def _chains_and_retained(data):
    return [_hops(c) for c in data["chains"]], int(data["target"]["retained"])


# ----------------------------------------------------------------------------- drawings


def _drawing_name(filename):
    if filename is not None:
        return os.fspath(filename)
    fd, filename = tempfile.mkstemp(prefix="heapdiff-", suffix=".png")
    os.close(fd)
    return filename


def _chain_args(chains):
    args = []
    for chain in chains:
        hops = [h.address for h in chain] if isinstance(chain, Chain) else [id(o) for o in chain]
        args += ["--chain", ",".join(hex(a) for a in hops)]
    return args


def _as_list(objs):
    return list(objs) if isinstance(objs, (list, tuple)) else [objs]


def _draw(command, objs, max_depth, too_many, filename):
    objs = _as_list(objs)
    if not objs:
        raise ValueError("no objects to draw")
    filename = _drawing_name(filename)
    path = _analyzer.temp_snapshot()
    try:
        args = [command, _analyzer.file_arg(path)]
        for o in objs:
            args += ["--address", hex(id(o))]
        _analyzer.run(*args, "--max-depth", max_depth, "--too-many", too_many, "-o", _analyzer.file_arg(filename), stderr=sys.stderr)
    finally:
        _analyzer.remove(path)


def show_backrefs(objs, max_depth=3, too_many=10, filename=None):
    """Draw what refers to `objs` (one object or a list), up to max_depth levels, like
    objgraph.show_backrefs: modules green and not expanded, the objects highlighted, at most
    too_many referrers per object (the rest folded into one node). filename: .png, .svg or
    .dot; without one, a heapdiff-*.png in the temporary directory. The analyzer says on
    stderr where the drawing went and how many objects it shows."""
    _draw("backrefs", objs, max_depth, too_many, filename)


def show_refs(objs, max_depth=3, too_many=10, filename=None):
    """Draw what `objs` (one object or a list) refer to, like objgraph.show_refs."""
    _draw("refs", objs, max_depth, too_many, filename)


def show_chain(*chains, filename=None):
    """Draw chains of live objects (find_backref_chain's, or WhyAlive.chains), each object
    referring to the next, merged where they share objects, like objgraph.show_chain."""
    chains = [c for c in chains if c]
    if not chains:
        raise ValueError("no chain to draw")
    filename = _drawing_name(filename)
    path = _analyzer.temp_snapshot()
    try:
        _analyzer.run("backrefs", _analyzer.file_arg(path), *_chain_args(chains), "-o", _analyzer.file_arg(filename), stderr=sys.stderr)
    finally:
        _analyzer.remove(path)
