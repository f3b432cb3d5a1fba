// Immediate dominators by Lengauer-Tarjan, iterative throughout (depth-first search and
// path compression use explicit stacks): heaps hold linked lists millions of nodes
// long, on which Boost 1.74's recursive lengauer_tarjan_dominator_tree overflows the
// stack (it crashes at about 400k). Flat 32-bit arrays; Boost's version stays the
// reference in the tests on small graphs.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/object_graph.h"

namespace heapdiff {

constexpr std::uint32_t kNoVertex = 0xFFFFFFFFu;

struct DominatorTree {
    std::vector<std::uint32_t> idom;      // per vertex; kNoVertex for the root and unreached vertices
    std::vector<std::uint32_t> preorder;  // reached vertices, depth-first, root first: every
                                          // vertex comes after its immediate dominator
};

// `reverse` is the reverse of `graph` when the caller has it; built (and freed) here
// otherwise.
DominatorTree dominator_tree(const CsrGraph& graph, std::uint32_t root, const CsrGraph* reverse = nullptr);

// idom[v] for every vertex of `graph` reachable from `root`; kNoVertex for the root
// and for unreachable vertices.
std::vector<std::uint32_t> immediate_dominators(const CsrGraph& graph, std::uint32_t root);

// The reverse of a CSR graph (each edge turned around), as the same CSR type.
CsrGraph reverse_graph(const CsrGraph& graph);

}  // namespace heapdiff
