// Retained sizes: exact values on the error-log heap, the dominator-tree answer equal to
// the two-traversal definition on random heaps, a type's retained size counted once,
// and a 10M-node linked list (the shape that crashes recursive dominator code).
#include <doctest/doctest.h>

#include <numeric>
#include <random>

#include "heap_fixtures.h"
#include "heapdiff/retained.h"
#include "snapshot_builder.h"

using namespace heapdiff;

TEST_CASE("retained: the error-log heap") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, false);
    RetainedSizes r = retained_sizes(g);
    auto at = [&](std::uint64_t a) { return g.index().find(a); };
    // The DB is held by two chains: neither module's side retains it.
    CHECK(r.retained[at(0x700)] == 48 + 1000);
    CHECK(r.idom[at(0x700)] == g.virtual_root());
    CHECK(r.retained[at(0x600)] == 400);  // the frame: not the DB, app holds it too
    CHECK(r.retained[at(0x100)] == 72 + 232 + 59 + 64 + 232 + 51 + 64 + 400);
    CHECK(r.retained[at(0x900)] == 72 + 232 + 53);
    CHECK(r.retained[at(0xb00)] == 0);  // cyclic trash: no root reaches it
    CHECK(r.idom[at(0xb00)] == kNoObject);
    for (ObjectIndex i = 0; i < s.object_count(); ++i) CHECK(retained_size_of(g, i) == r.retained[i]);
    std::vector<ObjectIndex> kept = retained_objects(g, at(0x900));
    CHECK(kept.size() == 3);
    CHECK(kept[0] == at(0x900));
    CHECK(retained_objects(g, at(0xb00)).empty());
}

TEST_CASE("retained: dominator tree and two traversals agree on random heaps") {
    std::mt19937 rng(42);
    for (int round = 0; round < 100; ++round) {
        test::SnapshotBuilder b;
        TypeId obj = b.type("builtins.object", 1), module = b.type("builtins.module", 2);
        const std::uint32_t n = 2 + rng() % 40;
        std::vector<std::vector<std::uint32_t>> out(n);
        std::vector<std::uint32_t> in(n, 0);
        for (std::uint32_t e = rng() % (3 * n); e-- > 0;) {
            std::uint32_t u = rng() % n, v = rng() % n;
            out[u].push_back(v);
            ++in[v];
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            bool root = rng() % 6 == 0;
            b.object(0x100 + 0x10 * i, root ? module : obj, 1 + rng() % 100, in[i] + (root ? 1 : 0));
            for (std::uint32_t v : out[i]) b.edge(0x100 + 0x10 * v, EdgeKind::Unknown);
        }
        Snapshot s = b.take();
        HeapGraph g(s, false);
        RetainedSizes r = retained_sizes(g);
        std::uint64_t total_reached = 0;
        for (ObjectIndex i = 0; i < n; ++i) {
            CHECK(retained_size_of(g, i) == r.retained[i]);
            if (r.idom[i] == g.virtual_root()) total_reached += r.retained[i];
        }
        std::uint64_t reached_size = 0;
        for (ObjectIndex i : r.preorder) reached_size += s.size[i];
        CHECK(total_reached == reached_size);  // the virtual root's children share out everything reached
    }
}

TEST_CASE("retained: a type's retained size counts nested instances once") {
    // module -> n0 -> n1 -> n2 (Nodes), each Node -> its own 100-byte payload.
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 1), node = b.type("app.Node", 2), bytes = b.type("builtins.bytes", 3);
    b.object(0x10, module, 72, 1, 0, {}, "m");
    b.edge(0x100, EdgeKind::Unknown);
    for (int k = 0; k < 3; ++k) {
        b.object(0x100 + 0x10 * k, node, 48, 1);
        b.edge(0x200 + 0x10 * k, EdgeKind::Unknown);
        if (k < 2) b.edge(0x100 + 0x10 * (k + 1), EdgeKind::Unknown);
        b.object(0x200 + 0x10 * k, bytes, 100, 1);
    }
    b.snapshot().module_roots.push_back({0x10, b.string("m")});
    Snapshot s = b.take();
    HeapGraph g(s, false);
    RetainedSizes r = retained_sizes(g);
    for (const TypeStat& t : retained_by_type(g, r)) {
        if (s.type_name(t.type) == "app.Node") {
            CHECK(t.count == 3);
            CHECK(t.size == 144);
            CHECK(t.retained == 3 * 148);  // not 444 + 296 + 148
        } else if (s.type_name(t.type) == "builtins.bytes") {
            CHECK(t.retained == 300);
        } else {
            CHECK(t.retained == 72 + 3 * 148);
        }
    }
}

TEST_CASE("retained: a linked list of 10M nodes, no recursion anywhere") {
    const std::uint32_t n = 10'000'000;
    Snapshot s;
    s.types.push_back({s.strings.add("builtins.module"), 1, 0, {}});
    s.types.push_back({s.strings.add("app.Node"), 2, 0, {}});
    s.address.resize(n + 1);
    s.type.assign(n + 1, TypeId(2));
    s.size.resize(n + 1);
    s.refcount.assign(n + 1, 1);
    s.flags.assign(n + 1, 0);
    s.traceback.assign(n + 1, TracebackId());
    s.edge_begin.resize(n + 2);
    s.edge_target.resize(n);
    s.edge_kind.assign(n, EdgeKind::Unknown);
    s.edge_arg.assign(n, 0);
    // Object 0 is the module; object k (1..n) is node k-1 and refers to the next one.
    s.type[0] = TypeId(1);
    for (std::uint32_t k = 0; k <= n; ++k) {
        s.address[k] = 0x1000 + 64ull * k;
        s.size[k] = k == 0 ? 72 : 48 + k % 7;
        s.edge_begin[k] = k;
        if (k < n) s.edge_target[k] = 0x1000 + 64ull * (k + 1);
    }
    s.edge_begin[n + 1] = n;
    s.module_roots.push_back({0x1000, s.strings.add("m")});
    HeapGraph g(s, false);
    RetainedSizes r = retained_sizes(g);
    std::uint64_t suffix = 0;
    bool all_equal = true;
    for (std::uint32_t k = n; k >= 1; --k) {
        suffix += s.size[k];
        all_equal = all_equal && r.retained[k] == suffix && r.idom[k] == k - 1;
    }
    CHECK(all_equal);
    CHECK(r.retained[0] == suffix + 72);
    CHECK(retained_size_of(g, 1) == suffix);
    CHECK(retained_size_of(g, n / 2) == r.retained[n / 2]);
    std::vector<TypeStat> types = retained_by_type(g, r);
    REQUIRE(types.size() == 2);
    CHECK(types[1].retained == suffix);  // the head only: every other node is under it
}
