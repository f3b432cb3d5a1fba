// Back-reference chains: shortest first, distinct chains, the kinds of start, depth.
#include <doctest/doctest.h>

#include "heap_fixtures.h"
#include "heapdiff/chains.h"
#include "snapshot_builder.h"

using namespace heapdiff;

namespace {

std::vector<std::uint64_t> addresses(const Snapshot& s, const Chain& c) {
    std::vector<std::uint64_t> out;
    for (ObjectIndex i : c) out.push_back(s.address[i]);
    return out;
}

}  // namespace

TEST_CASE("chains: the shortest chain from a module, then the next distinct one") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, true);
    const ObjectIndex db = g.index().find(0x700);
    ChainOptions o;
    std::vector<Chain> one = shortest_chains(g, db, o);
    REQUIRE(one.size() == 1);
    CHECK(addresses(s, one[0]) == std::vector<std::uint64_t>{0x900, 0x980, 0x700});

    o.paths = 3;  // only two exist
    std::vector<Chain> chains = shortest_chains(g, db, o);
    REQUIRE(chains.size() == 2);
    CHECK(chains[0] == one[0]);
    CHECK(addresses(s, chains[1]) == std::vector<std::uint64_t>{0x100, 0x200, 0x300, 0x400, 0x500, 0x600, 0x700});
    CHECK(g.label_between(chains[1][5], chains[1][6]) == "local 'db'");
}

TEST_CASE("chains: depth limit, start types, roots, and objects no root reaches") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, true);
    auto at = [&](std::uint64_t a) { return g.index().find(a); };
    ChainOptions o;
    o.max_depth = 1;
    CHECK(shortest_chains(g, at(0x700), o).empty());
    o.max_depth = 2;
    CHECK(shortest_chains(g, at(0x700), o).size() == 1);

    // --to traceback: the chain starts at the traceback.
    ChainOptions t;
    t.start.kind = ChainStart::Kind::Type;
    t.start.types = {s.type[at(0x500)]};
    std::vector<Chain> c = shortest_chains(g, at(0x800), t);
    REQUIRE(c.size() == 1);
    CHECK(addresses(s, c[0]) == std::vector<std::uint64_t>{0x500, 0x600, 0x700, 0x800});

    // A module is its own chain.
    ChainOptions m;
    std::vector<Chain> self = shortest_chains(g, at(0x100), m);
    REQUIRE(self.size() == 1);
    CHECK(self[0] == Chain{at(0x100)});

    // The cycle: nothing reaches it, from a module or from any root.
    CHECK(shortest_chains(g, at(0xc00), m).empty());
    ChainOptions r;
    r.start.kind = ChainStart::Kind::Root;
    CHECK(shortest_chains(g, at(0xc00), r).empty());
    std::vector<Chain> from_root = shortest_chains(g, at(0x800), r);
    REQUIRE(from_root.size() == 1);
    CHECK(addresses(s, from_root[0]) == std::vector<std::uint64_t>{0x900, 0x980, 0x700, 0x800});
}

TEST_CASE("chains: k shortest distinct chains through a lattice, shortest first") {
    // module -> a1, a2 -> b (both) -> target; and module -> c -> d -> e -> target.
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 1), obj = b.type("builtins.object", 2);
    b.object(0x10, module, 72, 1, 0, {}, "m");
    b.edge(0x20, EdgeKind::Unknown);
    b.edge(0x30, EdgeKind::Unknown);
    b.edge(0x50, EdgeKind::Unknown);
    b.object(0x20, obj, 16, 1);  // a1
    b.edge(0x40, EdgeKind::Unknown);
    b.object(0x30, obj, 16, 1);  // a2
    b.edge(0x40, EdgeKind::Unknown);
    b.object(0x40, obj, 16, 2);  // b
    b.edge(0x90, EdgeKind::Unknown);
    b.object(0x50, obj, 16, 1);  // c
    b.edge(0x60, EdgeKind::Unknown);
    b.object(0x60, obj, 16, 1);  // d
    b.edge(0x70, EdgeKind::Unknown);
    b.object(0x70, obj, 16, 1);  // e
    b.edge(0x90, EdgeKind::Unknown);
    b.object(0x90, obj, 16, 2);  // target
    b.snapshot().module_roots.push_back({0x10, b.string("m")});
    Snapshot s = b.take();
    HeapGraph g(s, true);
    ChainOptions o;
    o.paths = 5;
    std::vector<Chain> chains = shortest_chains(g, g.index().find(0x90), o);
    REQUIRE(chains.size() == 3);
    CHECK(addresses(s, chains[0]).size() == 4);
    CHECK(addresses(s, chains[1]).size() == 4);
    CHECK(chains[0] != chains[1]);
    CHECK(addresses(s, chains[2]) == std::vector<std::uint64_t>{0x10, 0x50, 0x60, 0x70, 0x90});
}
