// AddressIndex and the HeapGraph's edges: addresses resolve to object indexes, edges that
// leave the snapshot are dropped and counted, edge order is kept.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "fixtures.h"
#include "heapdiff/heap_graph.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

Snapshot triangle() {
    SnapshotBuilder b;
    TypeId t = b.type("builtins.list", 0xa000);
    b.object(0x3000, t, 72, 1);  // 0: -> 1, -> 2, -> outside, -> itself
    b.edge(0x1000, EdgeKind::Index, 0);
    b.edge(0x2000, EdgeKind::Index, 1);
    b.edge(0xdead, EdgeKind::Index, 2);
    b.edge(0x3000, EdgeKind::Index, 3);
    b.object(0x1000, t, 56, 1);  // 1: -> 2
    b.edge(0x2000, EdgeKind::Index, 0);
    b.object(0x2000, t, 56, 1);  // 2: no edges
    return b.take();
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> edge_list(const CsrGraph& g) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (std::uint32_t v = 0; v < boost::num_vertices(g); ++v)
        for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) out.emplace_back(v, boost::target(*it, g));
    return out;
}

}  // namespace

TEST_CASE("AddressIndex finds every object and nothing else") {
    Snapshot s = triangle();
    AddressIndex index(s);
    CHECK(index.find(0x3000) == 0);
    CHECK(index.find(0x1000) == 1);
    CHECK(index.find(0x2000) == 2);
    CHECK(index.find(0) == kNoObject);
    CHECK(index.find(0x1001) == kNoObject);
    CHECK(index.find(0xdead) == kNoObject);
    CHECK(index.find(~0ull) == kNoObject);
    CHECK(AddressIndex(Snapshot()).find(0x1000) == kNoObject);
}

TEST_CASE("the heap graph resolves edges and counts the unresolved") {
    Snapshot s = triangle();  // every reference explained: no roots, the virtual root has no edges
    HeapGraph g(s, false);
    CHECK(boost::num_vertices(g.forward()) == 3 + 1);
    CHECK(boost::num_edges(g.forward()) == 4);
    CHECK(g.unresolved_edges() == 1);
    CHECK(edge_list(g.forward()) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {0, 2}, {0, 0}, {1, 2}});
}

TEST_CASE("the heap graph over a loaded snapshot") {
    Snapshot s = load(snapshot_bytes(full_snapshot(), small_chunks()));
    HeapGraph g(s, false);
    CHECK(boost::num_vertices(g.forward()) == s.object_count() + 1);
    CHECK(boost::num_edges(g.forward()) - g.roots().size() + g.unresolved_edges() == s.edge_target.size());
    CHECK(*boost::adjacent_vertices(0u, g.forward()).first == 1);  // the dict's first key is the str object
}

TEST_CASE("the heap graph needs edges") {
    Snapshot s = load(snapshot_bytes(tiny_snapshot()), {false, true});
    CHECK_THROWS_WITH_AS(HeapGraph(s, false), doctest::Contains("loaded with its edges"), Error);
}
