// The iterative Lengauer-Tarjan against Boost's iterative_bit_vector_dominator_tree (the
// reference: the plain data-flow definition) on small random multigraphs, and on the
// shape that crashes Boost's recursive Lengauer-Tarjan: a list millions of nodes long.
// (Boost 1.74's lengauer_tarjan_dominator_tree itself disagrees with its bit-vector
// version on reachable vertices of such multigraphs, with self-loops and parallel
// edges, so it is not the reference here.)
#include <doctest/doctest.h>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dominator_tree.hpp>

#include <random>
#include <utility>
#include <vector>

#include "heapdiff/dominators.h"

using namespace heapdiff;

namespace {

using Edges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

CsrGraph csr(std::uint32_t n, Edges edges) {
    return CsrGraph(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), n);
}

// Boost's answer for the vertices reachable from root; kNoVertex for the others (the
// bit-vector algorithm leaves garbage there) and for the root.
std::vector<std::uint32_t> boost_idom(std::uint32_t n, const Edges& edges, std::uint32_t root) {
    using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
    using V = boost::graph_traits<G>::vertex_descriptor;
    G g(n);
    for (auto [u, v] : edges) add_edge(u, v, g);
    std::vector<V> pred(n, boost::graph_traits<G>::null_vertex());
    auto map = boost::make_iterator_property_map(pred.begin(), get(boost::vertex_index, g));
    boost::iterative_bit_vector_dominator_tree(g, vertex(root, g), map);
    std::vector<char> reached(n, 0);
    std::vector<std::uint32_t> stack{root};
    reached[root] = 1;
    while (!stack.empty()) {
        std::uint32_t x = stack.back();
        stack.pop_back();
        for (auto [u, v] : edges)
            if (u == x && !reached[v]) {
                reached[v] = 1;
                stack.push_back(v);
            }
    }
    std::vector<std::uint32_t> out(n, kNoVertex);
    for (std::uint32_t v = 0; v < n; ++v)
        if (v != root && reached[v] && pred[v] != boost::graph_traits<G>::null_vertex())
            out[v] = static_cast<std::uint32_t>(pred[v]);
    return out;
}

}  // namespace

TEST_CASE("dominators: a diamond, a cycle and an unreachable vertex") {
    //   0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 4 -> 3 (cycle), 5 unreachable
    Edges e = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {4, 3}, {5, 4}};
    auto idom = immediate_dominators(csr(6, e), 0);
    CHECK(idom == std::vector<std::uint32_t>{kNoVertex, 0, 0, 0, 3, kNoVertex});
}

TEST_CASE("dominators: the same as Boost's on random multigraphs") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 300; ++round) {
        std::uint32_t n = 2 + rng() % 60;
        std::uint32_t m = rng() % (n * 4);
        Edges e;
        for (std::uint32_t k = 0; k < m; ++k) e.emplace_back(rng() % n, rng() % n);
        std::uint32_t root = rng() % n;
        CAPTURE(round);
        CHECK(immediate_dominators(csr(n, e), root) == boost_idom(n, e, root));
    }
}

TEST_CASE("dominators: a linked list of 10 million nodes needs no recursion") {
    const std::uint32_t n = 10'000'000;
    Edges e;
    e.reserve(n);
    for (std::uint32_t v = 0; v + 1 < n; ++v) e.emplace_back(v, v + 1);
    auto idom = immediate_dominators(csr(n, std::move(e)), 0);
    CHECK(idom[0] == kNoVertex);
    bool chain = true;
    for (std::uint32_t v = 1; v < n; ++v) chain = chain && idom[v] == v - 1;
    CHECK(chain);
}
