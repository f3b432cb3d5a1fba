// HeapGraph: resolved edges, the virtual root and why each root is one.
#include <doctest/doctest.h>

#include <algorithm>

#include "heap_fixtures.h"
#include "heapdiff/heap_graph.h"
#include "snapshot_builder.h"

using namespace heapdiff;

namespace {

std::vector<std::uint32_t> successors(const CsrGraph& g, std::uint32_t v) {
    std::vector<std::uint32_t> out;
    for (auto [it, end] = adjacent_vertices(v, g); it != end; ++it) out.push_back(*it);
    return out;
}

}  // namespace

TEST_CASE("heap graph: modules are roots; objects whose references are all explained are not") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, true);
    CHECK(g.object_count() == s.object_count());
    CHECK(num_vertices(g.forward()) == s.object_count() + 1);
    const ObjectIndex errorlog = g.index().find(0x100), app = g.index().find(0x900), db = g.index().find(0x700);
    CHECK(g.root_reasons(errorlog) == (root_reason::kModule | root_reason::kExternalRefs));
    CHECK(g.unexplained_refs(errorlog) == 2);
    CHECK(g.root_reasons(app) == (root_reason::kModule | root_reason::kExternalRefs));
    CHECK_FALSE(g.is_root(db));
    CHECK(g.unexplained_refs(db) == 0);
    CHECK(g.roots() == std::vector<ObjectIndex>{errorlog, app});
    CHECK(successors(g.forward(), g.virtual_root()) == std::vector<std::uint32_t>{errorlog, app});
    CHECK(g.is_module(errorlog));
    CHECK_FALSE(g.is_module(db));
    // The reverse graph: the DB's referrers are the frame and app's dict.
    std::vector<std::uint32_t> referrers = successors(g.reverse(), db);
    std::sort(referrers.begin(), referrers.end());
    CHECK(referrers == std::vector<std::uint32_t>{g.index().find(0x600), g.index().find(0x980)});
    // Roots point back at the virtual root in the reverse graph.
    CHECK(successors(g.reverse(), errorlog) == std::vector<std::uint32_t>{g.virtual_root()});
}

TEST_CASE("heap graph: labels between two objects, parallel references joined") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, false);
    auto at = [&](std::uint64_t a) { return g.index().find(a); };
    CHECK(g.label_between(at(0x100), at(0x200)) == "__dict__");
    CHECK(g.label_between(at(0x200), at(0x300)) == "['_temp_logs']");
    CHECK(g.label_between(at(0x600), at(0x700)) == "local 'db'");
    CHECK(g.label_between(at(0x700), at(0x100)).empty());
    CHECK(g.edges_between(at(0x700), at(0x100)).empty());

    test::SnapshotBuilder b;
    TypeId list = b.type("builtins.list", 1), str = b.type("builtins.str", 2);
    b.object(0x10, list, 80, 1);
    b.edge(0x20, EdgeKind::Index, 0);
    b.edge(0x30, EdgeKind::Index, 1);
    b.edge(0x20, EdgeKind::Index, 2);
    b.object(0x20, str, 50, 2, 0, {}, "x");
    b.object(0x30, str, 50, 1, 0, {}, "y");
    Snapshot t = b.take();
    HeapGraph h(t, false);
    CHECK(h.label_between(0, 1) == "[0], [2]");
    CHECK(h.edges_between(0, 1) == std::vector<std::uint64_t>{0, 2});
    CHECK(h.unexplained_refs(1) == 0);  // two references, both explained
    CHECK(h.is_root(0));                // nothing refers to the list, refcount 1
}

TEST_CASE("heap graph: thread frames, immortal objects and unresolved edges") {
    test::SnapshotBuilder b;
    TypeId frame = b.type("builtins.frame", 1), obj = b.type("builtins.object", 2);
    b.object(0x10, frame, 400, 0, format::object_flag::kGcTracked);  // a running frame: the thread holds it
    b.edge(0x20, EdgeKind::FrameLocal, b.string("x").value);
    b.edge(0xdead, EdgeKind::Unknown);  // freed mid-walk: not in the snapshot
    b.object(0x20, obj, 16, 5);          // 4 references from outside the snapshot
    b.object(0x30, obj, 16, 0xFFFFFFFFull, format::object_flag::kImmortal);
    b.snapshot().thread_roots.push_back({7, {0x10}});
    Snapshot s = b.take();
    HeapGraph g(s, false);
    CHECK(g.unresolved_edges() == 1);
    CHECK(g.root_reasons(0) == root_reason::kThreadFrame);
    CHECK(g.root_reasons(1) == root_reason::kExternalRefs);
    CHECK(g.unexplained_refs(1) == 4);
    CHECK(g.root_reasons(2) == root_reason::kImmortal);
    CHECK(g.unexplained_refs(2) == 0);
    CHECK(num_edges(g.forward()) == 1 + 3);  // one resolved edge, three roots
}
