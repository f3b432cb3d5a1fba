// Which objects a picture shows, on hand-made heaps where every node is known: depth
// limit, too_many folding with the right counts, the node budget, modules not expanded,
// the virtual root never drawn, the allowed filter, and chains merged.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "heapdiff/error.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/neighbourhood.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using heapdiff::test::SnapshotBuilder;

// Node and edge lists print in full when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
    static doctest::String convert(const std::vector<std::string>& v) {
        std::string out = "{";
        for (const std::string& s : v) out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
        return (out + "}").c_str();
    }
};

namespace {

// The errorlog heap of issue 4, small:
//   S (dict sys.modules) -> M (module errorlog) -._temp_logs-> L (list) -[3]-> X (DB)
//   R1 .. R12 (Holder) -.db-> X
// S is referred to by nothing; nothing has references the snapshot cannot explain
// (refcount 0), so M is the only root.
struct ErrorlogHeap {
    Snapshot snapshot;
    ObjectIndex S, M, L, X, R1;
};

ErrorlogHeap errorlog_heap() {
    SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0x10);
    TypeId dict = b.type("builtins.dict", 0x20);
    TypeId list = b.type("builtins.list", 0x30);
    TypeId db = b.type("app.models.DB", 0x40);
    TypeId holder = b.type("app.Holder", 0x50);
    StringId temp_logs = b.string("_temp_logs");
    StringId db_name = b.string("db");
    ErrorlogHeap h;
    h.S = b.object(0x1000, dict, 1200, 0, 0, {}, "sys.modules");
    b.edge(0x1100, EdgeKind::Unknown);
    h.M = b.object(0x1100, module, 72, 0, 0, {}, "errorlog");
    b.edge(0x1200, EdgeKind::Attribute, temp_logs.value);
    h.L = b.object(0x1200, list, 120, 0);
    b.edge(0x1300, EdgeKind::Index, 3);
    h.X = b.object(0x1300, db, 48, 0);
    h.R1 = h.X + 1;
    for (int r = 1; r <= 12; ++r) {
        b.object(0x2000 + 0x100 * r, holder, 32, 0, 0, {}, "r" + std::to_string(r));
        b.edge(0x1300, EdgeKind::Attribute, db_name.value);
    }
    b.snapshot().module_roots = {{0x1100, b.string("errorlog")}};
    h.snapshot = b.take();
    return h;
}

// D -.next-> C -.next-> B -.next-> A -.next-> X; D is held from outside (a root).
Snapshot chain_heap() {
    SnapshotBuilder b;
    TypeId node = b.type("app.Node", 0x10);
    StringId next = b.string("next");
    const char* names[] = {"D", "C", "B", "A"};
    for (int k = 0; k < 4; ++k) {
        b.object(0x1000 + 0x100 * k, node, 40, k == 0 ? 5 : 1, 0, {}, names[k]);
        b.edge(0x1000 + 0x100 * (k + 1), EdgeKind::Attribute, next.value);
    }
    b.object(0x1400, node, 40, 1, 0, {}, "X");
    return b.take();
}

// The first line of each node's label, and each edge as "from -> to label".
std::vector<std::string> node_names(const Drawing& d) {
    std::vector<std::string> out;
    for (const DrawingNode& n : d.nodes) out.push_back(n.label.substr(0, n.label.find('\n')));
    return out;
}

std::vector<std::string> edge_names(const Drawing& d) {
    std::vector<std::string> names = node_names(d), out;
    for (const DrawingEdge& e : d.edges) {
        REQUIRE(e.from < names.size());
        REQUIRE(e.to < names.size());
        out.push_back(names[e.from] + " -> " + names[e.to] + (e.label.empty() ? "" : " " + e.label));
    }
    return out;
}

std::vector<std::string> holders(int from, int to) {
    std::vector<std::string> out;
    for (int r = from; r <= to; ++r) out.push_back("Holder r" + std::to_string(r));
    return out;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

NeighbourhoodOptions referrers(std::uint32_t max_depth = 3, std::uint32_t too_many = 10, std::uint32_t budget = 80) {
    NeighbourhoodOptions o;
    o.direction = Direction::Referrers;
    o.max_depth = max_depth;
    o.too_many = too_many;
    o.node_budget = budget;
    return o;
}

}  // namespace

TEST_CASE("neighbourhood: objgraph's show_backrefs picture of the errorlog heap") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    Drawing d = draw_neighbourhood(graph, {h.X}, referrers());

    // Ten referrers, the other three folded; the list's referrer is the module, whose
    // own referrer (sys.modules) is not drawn: the walk stops at modules.
    CHECK(node_names(d) == std::vector<std::string>{"DB", "list len 1"} + holders(1, 9) +
                               std::vector<std::string>{"3 more referrers", "module errorlog"});
    std::vector<std::string> edges{"list len 1 -> DB [3]"};
    for (int r = 1; r <= 9; ++r) edges.push_back("Holder r" + std::to_string(r) + " -> DB .db");
    edges.push_back("3 more referrers -> DB");
    edges.push_back("module errorlog -> list len 1 ._temp_logs");
    CHECK(edge_names(d) == edges);

    CHECK(d.nodes[0].label == "DB\n48 B\n0x1300");
    CHECK(d.nodes[0].target);
    CHECK(d.nodes[0].fill_colour == "0.6,0.35,1");
    CHECK(d.nodes[1].fill_colour == "0,0,0.833");        // depth 1 of 3
    CHECK(d.nodes.back().fill_colour == "0.3,0.5,0.667");  // the module, green, depth 2
    CHECK(d.nodes[11].folded);
    CHECK(d.nodes[11].fill_colour.empty());
    for (std::size_t i = 1; i < d.nodes.size(); ++i) CHECK_FALSE(d.nodes[i].target);
    CHECK(d.title.empty());
}

TEST_CASE("neighbourhood: a module that is a target is expanded") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    Drawing d = draw_neighbourhood(graph, {h.M}, referrers());
    CHECK(edge_names(d) == std::vector<std::string>{"dict sys.modules -> module errorlog"});
    CHECK(d.nodes[0].fill_colour == "0.6,0.35,1");  // targets are highlighted, not green
}

TEST_CASE("neighbourhood: depth limit, and the virtual root is never drawn") {
    Snapshot s = chain_heap();
    HeapGraph graph(s, true);
    REQUIRE(graph.is_root(0));  // D: the virtual root refers to it
    const ObjectIndex X = 4;
    CHECK(node_names(draw_neighbourhood(graph, {X}, referrers(0))) == std::vector<std::string>{"Node X"});
    CHECK(node_names(draw_neighbourhood(graph, {X}, referrers(2))) ==
          std::vector<std::string>{"Node X", "Node A", "Node B"});
    Drawing all = draw_neighbourhood(graph, {X}, referrers(10));
    CHECK(node_names(all) == std::vector<std::string>{"Node X", "Node A", "Node B", "Node C", "Node D"});
    CHECK(edge_names(all) == std::vector<std::string>{"Node A -> Node X .next", "Node B -> Node A .next",
                                                      "Node C -> Node B .next", "Node D -> Node C .next"});
    // Depth colours fade by distance from the target, over max_depth.
    CHECK(all.nodes[0].fill_colour == "0.6,0.35,1");
    CHECK(all.nodes[2].fill_colour == "0,0,0.9");  // depth 2 of 10
}

TEST_CASE("neighbourhood: referents, edges still from referrer to referent") {
    Snapshot s = chain_heap();
    HeapGraph graph(s, false);  // the forward view needs no reverse graph
    NeighbourhoodOptions o;
    o.direction = Direction::Referents;
    o.max_depth = 2;
    Drawing d = draw_neighbourhood(graph, {1}, o);  // from C
    CHECK(edge_names(d) == std::vector<std::string>{"Node C -> Node B .next", "Node B -> Node A .next"});

    o.direction = Direction::Referrers;
    CHECK_THROWS_AS(draw_neighbourhood(graph, {1}, o), Error);
}

TEST_CASE("neighbourhood: too_many folds the rest into one node with the right count") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    Drawing d = draw_neighbourhood(graph, {h.X}, referrers(1, 2));
    CHECK(node_names(d) == std::vector<std::string>{"DB", "list len 1", "Holder r1", "11 more referrers"});
    CHECK(edge_names(d) == std::vector<std::string>{"list len 1 -> DB [3]", "Holder r1 -> DB .db",
                                                    "11 more referrers -> DB"});

    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(1, 12))) ==
          std::vector<std::string>{"DB", "list len 1"} + holders(1, 11) + std::vector<std::string>{"1 more referrer"});
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(1, 13))) ==
          std::vector<std::string>{"DB", "list len 1"} + holders(1, 12));

    // Referents fold the same way, the "more" node on the referent side.
    NeighbourhoodOptions o = referrers(1, 0);
    o.direction = Direction::Referents;
    Drawing forward = draw_neighbourhood(graph, {h.L}, o);
    CHECK(edge_names(forward) == std::vector<std::string>{"list len 1 -> 1 more referent"});
}

TEST_CASE("neighbourhood: an object with several references to another counts once") {
    // P = [X, X, Y]; H1..H5 each hold X twice (.a and .b).
    SnapshotBuilder b;
    TypeId list = b.type("builtins.list", 0x10);
    TypeId holder = b.type("app.Holder", 0x20);
    TypeId node = b.type("app.Node", 0x30);
    StringId a = b.string("a"), bb = b.string("b");
    b.object(0x1000, list, 80, 0);
    b.edge(0x2000, EdgeKind::Index, 0);
    b.edge(0x2000, EdgeKind::Index, 1);
    b.edge(0x3000, EdgeKind::Index, 2);
    b.object(0x2000, node, 40, 0, 0, {}, "X");
    b.object(0x3000, node, 40, 0, 0, {}, "Y");
    for (int k = 1; k <= 5; ++k) {
        b.object(0x4000 + 0x100 * k, holder, 32, 0, 0, {}, "h" + std::to_string(k));
        b.edge(0x2000, EdgeKind::Attribute, a.value);
        b.edge(0x2000, EdgeKind::Attribute, bb.value);
    }
    Snapshot s = b.take();
    HeapGraph graph(s, true);
    Drawing d = draw_neighbourhood(graph, {1}, referrers(1, 1));
    CHECK(edge_names(d) == std::vector<std::string>{"list len 3 -> Node X [0], [1]", "5 more referrers -> Node X"});
    CHECK(node_names(draw_neighbourhood(graph, {1}, referrers(1, 10))) ==
          std::vector<std::string>{"Node X", "list len 3", "Holder h1", "Holder h2", "Holder h3", "Holder h4",
                                   "Holder h5"});

    NeighbourhoodOptions o = referrers(1);
    o.direction = Direction::Referents;
    CHECK(edge_names(draw_neighbourhood(graph, {0}, o)) ==
          std::vector<std::string>{"list len 3 -> Node X [0], [1]", "list len 3 -> Node Y [2]"});
    o.too_many = 0;
    CHECK(node_names(draw_neighbourhood(graph, {0}, o)) == std::vector<std::string>{"list len 3", "2 more referents"});
}

TEST_CASE("neighbourhood: an object with 300k referrers folds them into one node") {
    SnapshotBuilder b;
    TypeId type = b.type("builtins.type", 0x10);
    TypeId node = b.type("app.Node", 0x20);
    b.object(0x1000, type, 400, 0, 0, {}, "Node");
    const std::uint32_t n = 300000;
    for (std::uint32_t k = 0; k < n; ++k) {
        b.object(0x10000 + 0x40 * std::uint64_t(k), node, 48, 0);
        b.edge(0x1000, EdgeKind::Class);
        b.edge(0x1000, EdgeKind::Class);  // twice: still one referrer
    }
    Snapshot s = b.take();
    HeapGraph graph(s, true);
    Drawing d = draw_neighbourhood(graph, {0}, referrers());
    REQUIRE(d.nodes.size() == 12);
    CHECK(d.nodes[11].label == std::to_string(n - 10) + " more referrers");
}

TEST_CASE("neighbourhood: the node budget holds, folded nodes included") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    // Each budget's picture, worked out by hand: an object drawn with neighbours still
    // to place keeps a slot for its own "N more" node.
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(3, 10, 6))) ==
          std::vector<std::string>{"DB", "list len 1", "Holder r1", "Holder r2", "10 more referrers",
                                   "module errorlog"});
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(3, 10, 5))) ==
          std::vector<std::string>{"DB", "list len 1", "Holder r1", "11 more referrers", "module errorlog"});
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(3, 10, 3))) ==
          std::vector<std::string>{"DB", "13 more referrers"});  // the list needs 3 slots: none is tried after it
    // Room for the target alone: drawn, not expanded.
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, referrers(3, 10, 1))) == std::vector<std::string>{"DB"});
    Drawing none = draw_neighbourhood(graph, {h.X, h.L}, referrers(3, 10, 0));
    CHECK(none.nodes.empty());
    CHECK(none.title == "2 targets not drawn (node budget 0)");

    for (std::uint32_t budget = 0; budget <= 20; ++budget)
        for (std::uint32_t too_many : {0u, 1u, 3u, 10u}) {
            CAPTURE(budget);
            CAPTURE(too_many);
            Drawing d = draw_neighbourhood(graph, {h.X, h.M}, referrers(5, too_many, budget));
            CHECK(d.nodes.size() <= budget);
            CHECK(d.nodes.size() >= std::min<std::uint32_t>(budget, 2));
        }
}

TEST_CASE("neighbourhood: allowed filters every object but the targets") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    NeighbourhoodOptions o = referrers();
    o.allowed = [&](ObjectIndex i) { return i != h.L && i != h.X; };  // X is a target: drawn anyway
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, o)) ==
          std::vector<std::string>{"DB"} + holders(1, 10) + std::vector<std::string>{"2 more referrers"});
    o.allowed = [&](ObjectIndex i) { return i == h.L || i == h.M || i == h.S; };
    CHECK(node_names(draw_neighbourhood(graph, {h.X}, o)) ==
          std::vector<std::string>{"DB", "list len 1", "module errorlog"});
}

TEST_CASE("neighbourhood: labels with retained sizes, long values cut at a character") {
    SnapshotBuilder b;
    TypeId str = b.type("builtins.str", 0x10);
    std::string value;
    for (int k = 0; k < 30; ++k) value += "\xC3\xA9\xC3\xA0";  // 60 two-byte characters
    b.object(0x1000, str, 100, 0, 0, {}, value);
    b.object(0x2000, str, 50, 0, 0, {}, std::string(44, 'x'));  // 48 with "str ": fits
    b.object(0x3000, str, 50, 0, 0, {}, std::string(45, 'x'));
    Snapshot s = b.take();
    HeapGraph graph(s, true);
    std::vector<std::uint64_t> retained{4096, 50, 50};
    NeighbourhoodOptions o = referrers();
    o.retained = &retained;
    Drawing d = draw_neighbourhood(graph, {0, 1, 2}, o);
    REQUIRE(d.nodes.size() == 3);
    // "str " and 43 more characters, then the ellipsis: 48 characters.
    CHECK(d.nodes[0].label == "str " + value.substr(0, 86) + "\xE2\x80\xA6\n100 B, retained 4.00 KiB\n0x1000");
    CHECK(d.nodes[1].label == "str " + std::string(44, 'x') + "\n50 B, retained 50 B\n0x2000");
    CHECK(d.nodes[2].label == "str " + std::string(43, 'x') + "\xE2\x80\xA6\n50 B, retained 50 B\n0x3000");
}

TEST_CASE("neighbourhood: the same input gives the same drawing") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    Drawing a = draw_neighbourhood(graph, {h.X, h.R1, h.X}, referrers(3, 4, 12));
    Drawing b = draw_neighbourhood(graph, {h.X, h.R1}, referrers(3, 4, 12));
    CHECK(node_names(a) == node_names(b));
    CHECK(edge_names(a) == edge_names(b));
    CHECK(a.nodes[0].target);
    CHECK(a.nodes[1].target);
}

TEST_CASE("chains: merged where they share objects, the virtual root left out") {
    ErrorlogHeap h = errorlog_heap();
    HeapGraph graph(h.snapshot, true);
    const ObjectIndex root = graph.virtual_root();
    Drawing d = draw_chains(graph, {{root, h.M, h.L, h.X}, {h.R1, h.X}, {h.M, h.L, h.X}});
    CHECK(node_names(d) == std::vector<std::string>{"module errorlog", "list len 1", "DB", "Holder r1"});
    CHECK(edge_names(d) == std::vector<std::string>{"module errorlog -> list len 1 ._temp_logs",
                                                    "list len 1 -> DB [3]", "Holder r1 -> DB .db"});
    CHECK(d.nodes[2].target);
    CHECK_FALSE(d.nodes[0].target);
    CHECK(d.nodes[0].fill_colour == "0.3,0.5,0.5");  // green, two references from the target
    CHECK(d.nodes[3].fill_colour == "0,0,0.75");

    std::vector<std::uint64_t> retained(graph.object_count(), 8);
    CHECK(draw_chains(graph, {{h.R1, h.X}}, &retained).nodes[0].label == "Holder r1\n32 B, retained 8 B\n0x2100");
    CHECK(draw_chains(graph, std::vector<LabelledChain>{}).nodes.empty());
}
