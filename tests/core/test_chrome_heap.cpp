// The Chrome DevTools heap snapshot model: node 0 the root, three root groups, then one
// node per object with its resolved references, labelled as heapdiff labels them.
#include <doctest/doctest.h>

#include <set>

#include "heap_fixtures.h"
#include "heapdiff/chrome_heap.h"

using namespace heapdiff;

namespace {

struct View {
    const ChromeHeap& h;
    std::uint32_t field(std::size_t node, std::size_t f) const { return h.nodes[node * 7 + f]; }
    std::string name(std::size_t node) const { return h.strings[field(node, 1)]; }
    std::string type(std::size_t node) const { return ChromeHeap::node_types()[field(node, 0)]; }
    std::size_t first_edge(std::size_t node) const {
        std::size_t e = 0;
        for (std::size_t k = 0; k < node; ++k) e += field(k, 4);
        return e;
    }
    // (edge type, name or index as text, target node) of each edge of `node`.
    std::vector<std::tuple<std::string, std::string, std::size_t>> edges(std::size_t node) const {
        std::vector<std::tuple<std::string, std::string, std::size_t>> out;
        for (std::size_t e = first_edge(node), end = e + field(node, 4); e < end; ++e) {
            const std::string type = ChromeHeap::edge_types()[h.edges[e * 3]];
            const std::uint32_t n = h.edges[e * 3 + 1];
            out.emplace_back(type, type == "element" || type == "hidden" ? std::to_string(n) : h.strings[n],
                             h.edges[e * 3 + 2] / 7);
        }
        return out;
    }
};

}  // namespace

TEST_CASE("chrome heap: the root, its groups, and every object with its labelled references") {
    Snapshot s = test::error_log_heap();
    HeapGraph g(s, false);
    ChromeHeap h = chrome_heap(g);
    View v{h};
    REQUIRE(h.node_count() == s.object_count() + 4);
    CHECK(h.nodes.size() == h.node_count() * ChromeHeap::node_fields().size());
    std::size_t edges = 0;
    std::set<std::uint32_t> ids;
    for (std::size_t k = 0; k < h.node_count(); ++k) {
        edges += v.field(k, 4);
        ids.insert(v.field(k, 2));
        CHECK(v.field(k, 2) % 2 == 1);
    }
    CHECK(edges == h.edge_count());
    CHECK(ids.size() == h.node_count());
    for (std::size_t e = 0; e < h.edge_count(); ++e) {
        CHECK(h.edges[e * 3 + 2] % 7 == 0);
        CHECK(h.edges[e * 3 + 2] / 7 < h.node_count());
    }
    // The root reaches the modules by name (DevTools' user roots) and "(GC roots)".
    CHECK((v.type(0) == "synthetic" && v.name(0) == "(Python roots)"));
    CHECK(v.name(1) == "(GC roots)");
    CHECK(v.name(2) == "(thread stacks)");
    CHECK(v.name(3) == "(held by C)");
    auto node_of = [&](std::uint64_t address) { return g.index().find(address) + 4; };
    auto roots = v.edges(0);
    REQUIRE(roots.size() == 3);
    CHECK(roots[0] == std::make_tuple(std::string("shortcut"), std::string("errorlog"), node_of(0x100)));
    CHECK(roots[1] == std::make_tuple(std::string("shortcut"), std::string("app"), node_of(0x900)));
    CHECK(roots[2] == std::make_tuple(std::string("element"), std::string("1"), std::size_t(1)));
    CHECK(v.edges(1).size() == 2);
    CHECK(v.edges(3).size() == 0);  // the modules (sys.modules holds them) are listed once, as modules
    // Objects are "object" nodes named by type, with their sizes; strs are strings.
    CHECK((v.type(node_of(0x700)) == "object" && v.name(node_of(0x700)) == "app.models.DB"));
    CHECK(v.field(node_of(0x700), 3) == s.size[g.index().find(0x700)]);
    CHECK(v.type(node_of(0x210)) == "string");
    // The chain the README walks: labels as heapdiff prints them, list items as elements.
    auto has = [&](std::uint64_t from, const char* type, const char* name, std::uint64_t to) {
        for (const auto& e : v.edges(node_of(from)))
            if (e == std::make_tuple(std::string(type), std::string(name), node_of(to))) return true;
        return false;
    };
    CHECK(has(0x100, "property", "__dict__", 0x200));
    CHECK(has(0x200, "property", "['_temp_logs']", 0x300));
    CHECK(has(0x300, "element", "0", 0x400));
    CHECK(has(0x400, "property", "['tb']", 0x500));
    CHECK(has(0x500, "property", "tb_frame", 0x600));
    CHECK(has(0x600, "property", "local 'db'", 0x700));
    CHECK(h.unresolved_edges == 0);
    CHECK(h.clamped_sizes == 0);
}
