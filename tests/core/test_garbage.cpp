// Cyclic trash: what no root reaches, per type, with finalizers and gc.garbage marked.
#include <doctest/doctest.h>

#include "heap_fixtures.h"
#include "heapdiff/garbage.h"
#include "snapshot_builder.h"

using namespace heapdiff;

TEST_CASE("garbage: an unreachable cycle and what only it holds") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, false);
    GarbageReport r = find_garbage(g);
    CHECK(r.objects == 3);
    CHECK(r.bytes == 48 + 48 + 500);
    REQUIRE(r.types.size() == 2);
    CHECK(r.types[0].stat.name == "builtins.bytes");  // by size first
    CHECK(r.types[0].stat.count == 1);
    CHECK(r.types[1].stat.name == "app.graph.Node");
    CHECK(r.types[1].stat.count == 2);
    CHECK(r.types[1].stat.size == 96);
    CHECK(r.finalizers == 0);
    std::vector<bool> reached = reachable_from_roots(g);
    CHECK(reached[g.index().find(0x800)]);
    CHECK_FALSE(reached[g.index().find(0xb00)]);
}

TEST_CASE("garbage: objects saved in gc.garbage count, and finalizers are marked") {
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 1), dict = b.type("builtins.dict", 2), list = b.type("builtins.list", 3),
           str = b.type("builtins.str", 4), res = b.type("app.Resource", 5, format::type_flag::kHasFinalizer);
    namespace f = format::object_flag;
    b.object(0x10, module, 72, 1, 0, {}, "gc");
    b.edge(0x20, EdgeKind::Field, b.string("__dict__").value);
    b.object(0x20, dict, 232, 1);
    b.edge(0x30, EdgeKind::DictKey);
    b.edge(0x40, EdgeKind::DictValue, 0);
    b.object(0x30, str, 56, 1, 0, {}, "garbage");
    b.object(0x40, list, 72, 1);  // gc.garbage
    b.edge(0x50, EdgeKind::Index, 0);
    b.object(0x50, res, 48, 2, f::kGcTracked | f::kHasFinalizer | f::kInGcGarbage);
    b.edge(0x60, EdgeKind::Attribute, b.string("peer").value);
    b.object(0x60, res, 48, 1, f::kGcTracked | f::kHasFinalizer);
    b.edge(0x50, EdgeKind::Attribute, b.string("peer").value);
    b.snapshot().module_roots.push_back({0x10, b.string("gc")});
    Snapshot s = b.take();
    HeapGraph g(s, false);
    GarbageReport r = find_garbage(g);
    CHECK(r.objects == 2);
    CHECK(r.finalizers == 2);
    CHECK(r.in_gc_garbage == 1);
    REQUIRE(r.types.size() == 1);
    CHECK(r.types[0].finalizers == 2);
    CHECK(r.types[0].in_gc_garbage == 1);
}
