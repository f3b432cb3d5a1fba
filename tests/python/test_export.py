"""heapdiff export SNAP --format chrome: a Python heap in Chrome DevTools' heap snapshot
format. Checked against the format as DevTools reads it (meta's field lists, flat node and
edge arrays, edge counts sharing out the edges in node order, to_node as an offset into
the node array, string indexes) and on a real heap: the chain from the root's shortcut to
a module down to a list's items, with heapdiff's labels as edge names."""

import json
import os
import stat
import subprocess
import sys

HERE_NAME = __name__


class Leaf:
    pass


class Holder:
    def __init__(self, leaves, name):
        self.leaves = leaves
        self.name = name


class Heap:
    """The exported file, read as DevTools reads it."""

    def __init__(self, path):
        data = json.loads(path.read_text(encoding="utf-8"))
        meta = data["snapshot"]["meta"]
        assert meta["node_fields"] == ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
        assert meta["edge_fields"] == ["type", "name_or_index", "to_node"]
        assert meta["node_types"][1:] == ["string", "number", "number", "number", "number", "number"]
        assert meta["edge_types"][1:] == ["string_or_number", "node"]
        self.node_types, self.edge_types = meta["node_types"][0], meta["edge_types"][0]
        self.nodes, self.edges, self.strings = data["nodes"], data["edges"], data["strings"]
        self.count = data["snapshot"]["node_count"]
        assert len(self.nodes) == 7 * self.count
        assert len(self.edges) == 3 * data["snapshot"]["edge_count"]
        self.first_edge = [0] * (self.count + 1)
        for k in range(self.count):
            self.first_edge[k + 1] = self.first_edge[k] + self.nodes[7 * k + 4]
        assert self.first_edge[-1] == data["snapshot"]["edge_count"]

    def type(self, k):
        return self.node_types[self.nodes[7 * k]]

    def name(self, k):
        return self.strings[self.nodes[7 * k + 1]]

    def out(self, k):
        """(edge type, name or index, target node) of node k's edges."""
        for e in range(self.first_edge[k], self.first_edge[k + 1]):
            kind = self.edge_types[self.edges[3 * e]]
            key = self.edges[3 * e + 1]
            yield kind, (key if kind in ("element", "hidden") else self.strings[key]), self.edges[3 * e + 2] // 7

    def follow(self, k, name):
        found = [to for kind, key, to in self.out(k) if key == name]
        assert found, (self.name(k), name, list(self.out(k))[:20])
        return found[0]


def test_export_opens_as_a_devtools_heap_with_the_chain_to_the_objects(snap, run_cli, tmp_path):
    global HELD
    needle = "needle-%d-%s" % (os.getpid(), "x" * 8)
    HELD = Holder([Leaf() for _ in range(77)], needle)
    s = snap()
    out = tmp_path / "heap.heapsnapshot"
    r = run_cli("export", s.path, "--format", "chrome", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote %s: " % out), r.stdout
    assert not [p for p in os.listdir(str(tmp_path)) if ".tmp-" in p]
    heap = Heap(out)
    # Every object once, after the root and its three groups; ids unique and odd.
    assert heap.count == len(s) + 4
    ids = heap.nodes[2::7]
    assert len(set(ids)) == heap.count and all(i % 2 for i in ids)
    assert all(t % 7 == 0 and t // 7 < heap.count for t in heap.edges[2::3])
    assert all(0 <= heap.nodes[7 * k + 1] < len(heap.strings) for k in range(heap.count))
    assert (heap.type(0), heap.name(0)) == ("synthetic", "(Python roots)")
    assert [heap.name(k) for k in (1, 2, 3)] == ["(GC roots)", "(thread stacks)", "(held by C)"]
    # The root reaches every module by a shortcut named after it (DevTools' user roots),
    # and (GC roots) by an element edge.
    roots = list(heap.out(0))
    assert {kind for kind, _, _ in roots} == {"shortcut", "element"}
    assert [to for kind, _, to in roots if kind == "element"] == [1]
    assert {key for kind, key, _ in roots if kind == "shortcut"} >= {"sys", "builtins", HERE_NAME}
    assert heap.name(heap.follow(0, "sys")) == "builtins.module"
    # the root -> this module -> __dict__ -> ['HELD'] -> the Holder -> its leaves.
    module = heap.follow(0, HERE_NAME)
    holder = heap.follow(heap.follow(module, "__dict__"), "['HELD']")
    assert (heap.type(holder), heap.name(holder)) == ("object", Holder.__module__ + ".Holder")
    attributes = {key: to for _, key, to in heap.out(holder)}
    leaves = attributes[".leaves"] if ".leaves" in attributes else heap.follow(attributes["__dict__"], "['leaves']")
    assert heap.name(leaves) == "builtins.list"
    items = [(kind, key, heap.name(to)) for kind, key, to in heap.out(leaves)]
    assert items == [("element", i, Leaf.__module__ + ".Leaf") for i in range(77)]
    # Sizes are heapdiff's; a str is a string node named by its value.
    assert heap.nodes[7 * leaves + 3] == sys.getsizeof(HELD.leaves)
    name = attributes[".name"] if ".name" in attributes else heap.follow(attributes["__dict__"], "['name']")
    assert (heap.type(name), heap.name(name)) == ("string", needle)


def test_export_errors_are_one_line(snap, run_cli, tmp_path):
    s = snap()
    for args, code, text in [
        (["export", tmp_path / "missing.hds", "-o", tmp_path / "x.heapsnapshot"], 3, "cannot open"),
        (["export", s.path, "--format", "pprof", "-o", tmp_path / "x.heapsnapshot"], 2, "--format"),
        (["export", s.path], 2, "--output"),
        (["export", s.path, "-o", tmp_path / "no" / "dir" / "x.heapsnapshot"], 1, "cannot write"),
        # Never renamed over a device, even as root.
        (["export", s.path, "-o", "/dev/null"], 1, "it exists and is a character device"),
    ]:
        r = run_cli(*args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert r.stderr.count("\n") == 1 and text in r.stderr, (args, r.stderr)
    assert os.listdir(str(tmp_path)) == ["heap.hds"]
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


ALLOCATING = """
import sys, tracemalloc
import heapdiff
tracemalloc.start(10)

def make():
    return [bytearray(1000) for _ in range(300)]  # THE SITE

def outer():
    return make()  # ITS CALLER

kept = outer()
heapdiff.dump(sys.argv[1], label="speedscope test")
"""


def test_export_speedscope_is_a_flame_graph_of_the_allocation_sites(run_cli, tmp_path):
    script = tmp_path / "allocating.py"
    script.write_text(ALLOCATING)
    lines = ALLOCATING.splitlines()
    site = next(i for i, line in enumerate(lines, 1) if line.endswith("# THE SITE"))
    caller = next(i for i, line in enumerate(lines, 1) if line.endswith("# ITS CALLER"))
    snapshot = tmp_path / "traced.hds"
    subprocess.run([sys.executable, str(script), str(snapshot)], check=True, timeout=120)
    out = tmp_path / "traced.speedscope.json"
    r = run_cli("export", snapshot, "--format", "speedscope", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote %s: " % out), r.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    # speedscope's file format: a schema, shared frames, one sampled profile in bytes.
    assert data["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = data["shared"]["frames"]
    (profile,) = data["profiles"]
    assert (profile["type"], profile["unit"], profile["startValue"]) == ("sampled", "bytes", 0)
    assert "speedscope test" in profile["name"]
    assert len(profile["samples"]) == len(profile["weights"]) > 0
    assert all(0 <= f < len(frames) for stack in profile["samples"] for f in stack)
    assert sum(profile["weights"]) == profile["endValue"]
    # The heaviest stack ends at the allocating line, called from outer(), outermost first.
    heaviest = max(range(len(profile["weights"])), key=profile["weights"].__getitem__)
    stack = [frames[f] for f in profile["samples"][heaviest]]
    assert os.path.samefile(stack[-1]["file"], str(script)) and stack[-1]["line"] == site, stack
    assert stack[-1]["name"] == "allocating.py:%d" % site
    # (before 3.12 the list comprehension is a frame of its own, on the same line)
    assert [f["line"] for f in stack if f["line"] != site][-1] == caller, stack
    assert profile["weights"][heaviest] >= 300 * 1000
    # Without tracemalloc there are no allocation sites: one line, a usage error.
    plain = tmp_path / "plain.hds"
    subprocess.run([sys.executable, "-c", "import sys, heapdiff; heapdiff.dump(sys.argv[1])", str(plain)], check=True,
                   timeout=120)
    r = run_cli("export", plain, "--format", "speedscope", "-o", tmp_path / "plain.json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "tracemalloc was not tracing" in r.stderr, r.stderr
    assert not (tmp_path / "plain.json").exists()


HOLDING = """
import sys
import heapdiff

class Leaf:
    def __init__(self, k):
        self.payload = bytes(200 + k % 7)

class Holder:
    pass

HOLDER = Holder()
HOLDER.leaves = [Leaf(k) for k in range(500)]
heapdiff.dump(sys.argv[1])
"""

# Runs inside DevTools' front end: its own heap snapshot worker code (what the Memory tab
# runs on a loaded file) parses the text, builds the snapshot (retainers, distances,
# dominators, retained sizes) and aggregates the nodes by constructor, as Summary does.
DEVTOOLS_LOAD = """
(async () => {
  const worker = await import('./entrypoints/heap_snapshot_worker/heap_snapshot_worker.js');
  const text = %s;
  const loader = new worker.HeapSnapshotLoader.HeapSnapshotLoader({sendEvent() {}});
  for (let i = 0; i < text.length; i += 1 << 20) loader.write(text.slice(i, i + (1 << 20)));
  loader.close();
  const channel = new MessageChannel();
  new worker.HeapSnapshot.SecondaryInitManager(channel.port2);
  const snapshot = await loader.buildSnapshot(channel.port1);
  let nodes = 0;
  for (const it = snapshot.allNodes(); it.hasNext(); it.next()) nodes++;
  const noFilter = {minNodeId: undefined, maxNodeId: undefined, allocationNodeId: undefined, filterName: undefined,
                    equals(other) { return other === this; }};
  const classes = {};
  for (const a of Object.values(snapshot.aggregatesWithFilter(noFilter)))
    classes[a.name] = {count: a.count, self: a.self, retained: a.maxRet};
  return {nodes, totalSize: snapshot.totalSize, rootRetained: snapshot.rootNode().retainedSize(), classes};
})()
"""


def test_devtools_own_heap_snapshot_code_loads_the_export(run_cli, tmp_path):
    from chromium import Page

    snapshot = tmp_path / "holding.hds"
    subprocess.run([sys.executable, "-c", HOLDING, str(snapshot)], check=True, timeout=120)
    out = tmp_path / "holding.heapsnapshot"
    r = run_cli("export", snapshot, "--format", "chrome", "-o", out)
    assert r.returncode == 0, r.stderr
    ours = Heap(out)
    text = out.read_text(encoding="utf-8")
    with Page(tmp_path / "profile") as devtools:
        loaded = devtools.open(Page.DEVTOOLS).evaluate(DEVTOOLS_LOAD % json.dumps(text))
    # Every node, and DevTools' total is the sum of heapdiff's self sizes.
    assert loaded["nodes"] == ours.count
    assert loaded["totalSize"] == sum(ours.nodes[3::7])
    # Summary's rows are heapdiff's types: 500 leaves with their sizes.
    leaf, holder = loaded["classes"]["__main__.Leaf"], loaded["classes"]["__main__.Holder"]
    assert leaf["count"] == 500
    leaf_self = sum(ours.nodes[7 * k + 3] for k in range(ours.count) if ours.name(k) == "__main__.Leaf")
    assert leaf["self"] == leaf_self
    # DevTools' own dominator tree: the holder retains the list, the leaves and their
    # payloads (500 bytes objects of 233-239 bytes each).
    assert holder["count"] == 1
    assert holder["retained"] >= leaf_self + 500 * (200 + sys.getsizeof(b""))
    assert loaded["rootRetained"] <= loaded["totalSize"]
