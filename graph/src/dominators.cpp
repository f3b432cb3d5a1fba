#include "heapdiff/dominators.h"

#include <boost/iterator/transform_iterator.hpp>

#include <utility>

namespace heapdiff {

namespace {

// (target, source) of a CSR edge: the reversed edges, fed to the CSR constructor as a
// view rather than a vector of pairs (which would cost 8 bytes per edge at the peak).
struct Reversed {
    const CsrGraph* g = nullptr;
    std::pair<std::uint32_t, std::uint32_t> operator()(boost::graph_traits<CsrGraph>::edge_descriptor e) const {
        return {static_cast<std::uint32_t>(target(e, *g)), static_cast<std::uint32_t>(source(e, *g))};
    }
};

}  // namespace

CsrGraph reverse_graph(const CsrGraph& g) {
    const std::uint32_t n = static_cast<std::uint32_t>(num_vertices(g));
    auto [b, e] = edges(g);
    Reversed reversed{&g};
    return CsrGraph(boost::edges_are_unsorted_multi_pass, boost::make_transform_iterator(b, reversed),
                    boost::make_transform_iterator(e, reversed), n);
}

namespace {

// The forest that Lengauer-Tarjan links vertices into, with path compression done by
// an explicit stack. All arrays are indexed by depth-first number.
class LinkEval {
public:
    LinkEval(std::uint32_t n, const std::vector<std::uint32_t>& semi) : semi_(semi), ancestor_(n, kNoVertex), label_(n) {
        for (std::uint32_t i = 0; i < n; ++i) label_[i] = i;
    }
    void link(std::uint32_t parent, std::uint32_t child) { ancestor_[child] = parent; }

    // The vertex with the smallest semidominator on the path from v up to its forest root.
    std::uint32_t eval(std::uint32_t v) {
        if (ancestor_[v] == kNoVertex) return v;
        compress(v);
        return label_[v];
    }

private:
    void compress(std::uint32_t v) {
        // Climb to the last vertex whose ancestor is a forest root, then fold back down.
        path_.clear();
        while (ancestor_[ancestor_[v]] != kNoVertex) {
            path_.push_back(v);
            v = ancestor_[v];
        }
        for (std::size_t i = path_.size(); i-- > 0;) {
            std::uint32_t w = path_[i];
            std::uint32_t a = ancestor_[w];
            if (semi_[label_[a]] < semi_[label_[w]]) label_[w] = label_[a];
            ancestor_[w] = ancestor_[a];
        }
    }

    const std::vector<std::uint32_t>& semi_;
    std::vector<std::uint32_t> ancestor_, label_, path_;
};

}  // namespace

std::vector<std::uint32_t> immediate_dominators(const CsrGraph& g, std::uint32_t root) {
    return dominator_tree(g, root).idom;
}

DominatorTree dominator_tree(const CsrGraph& g, std::uint32_t root, const CsrGraph* reverse_given) {
    const std::uint32_t n = static_cast<std::uint32_t>(num_vertices(g));
    DominatorTree tree;
    std::vector<std::uint32_t>& idom = tree.idom;
    idom.assign(n, kNoVertex);
    if (root >= n) return tree;

    // 1. Depth-first numbering from the root with an explicit stack: dfnum[v],
    //    vertex[number], parent[number] (a number). Each stack entry is a vertex's
    //    number and the rest of its edges.
    std::vector<std::uint32_t> dfnum(n, kNoVertex), parent;
    std::vector<std::uint32_t>& vertex = tree.preorder;
    {
        // 8 bytes per open vertex (a 10M-long list keeps 10M open): its number and its
        // next edge, read straight from the CSR arrays.
        const std::vector<std::uint32_t>& row = g.m_forward.m_rowstart;
        const std::vector<std::uint32_t>& column = g.m_forward.m_column;
        struct Open {
            std::uint32_t number;
            std::uint32_t next_edge;
        };
        std::vector<Open> stack;
        dfnum[root] = 0;
        vertex.push_back(root);
        parent.push_back(kNoVertex);
        stack.push_back({0, row[root]});
        while (!stack.empty()) {
            Open& top = stack.back();
            if (top.next_edge == row[vertex[top.number] + 1]) {
                stack.pop_back();
                continue;
            }
            std::uint32_t w = column[top.next_edge++];
            if (dfnum[w] != kNoVertex) continue;
            std::uint32_t number = static_cast<std::uint32_t>(vertex.size());
            dfnum[w] = number;
            vertex.push_back(w);
            parent.push_back(top.number);
            stack.push_back({number, row[w]});  // `top` is not used after this
        }
    }
    const std::uint32_t reached = static_cast<std::uint32_t>(vertex.size());

    // 2. Semidominators, then immediate dominators, in reverse depth-first order, all by
    //    number. Predecessors come from the reversed graph; unreached ones are skipped.
    CsrGraph built;
    if (!reverse_given) built = reverse_graph(g);
    const CsrGraph& reverse = reverse_given ? *reverse_given : built;
    std::vector<std::uint32_t> semi(reached), dom(reached, kNoVertex);
    for (std::uint32_t i = 0; i < reached; ++i) semi[i] = i;
    // Buckets as linked lists in flat arrays: bucket_head[number], bucket_next[number].
    std::vector<std::uint32_t> bucket_head(reached, kNoVertex), bucket_next(reached, kNoVertex);
    LinkEval forest(reached, semi);
    for (std::uint32_t w = reached; w-- > 1;) {
        for (auto [it, end] = adjacent_vertices(vertex[w], reverse); it != end; ++it) {
            std::uint32_t v = dfnum[*it];
            if (v == kNoVertex) continue;
            std::uint32_t u = forest.eval(v);
            if (semi[u] < semi[w]) semi[w] = semi[u];
        }
        bucket_next[w] = bucket_head[semi[w]];
        bucket_head[semi[w]] = w;
        std::uint32_t p = parent[w];
        forest.link(p, w);
        for (std::uint32_t v = bucket_head[p]; v != kNoVertex; v = bucket_next[v]) {
            std::uint32_t u = forest.eval(v);
            dom[v] = semi[u] < semi[v] ? u : p;
        }
        bucket_head[p] = kNoVertex;
    }
    for (std::uint32_t w = 1; w < reached; ++w)
        if (dom[w] != semi[w]) dom[w] = dom[dom[w]];
    for (std::uint32_t w = 1; w < reached; ++w) idom[vertex[w]] = vertex[dom[w]];
    return tree;
}

}  // namespace heapdiff
