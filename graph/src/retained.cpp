#include "heapdiff/retained.h"

#include "heapdiff/dominators.h"

namespace heapdiff {

RetainedSizes retained_sizes(const HeapGraph& graph) {
    const Snapshot& s = graph.snapshot();
    const std::uint32_t n = graph.object_count();
    RetainedSizes out;
    {
        DominatorTree tree =
            dominator_tree(graph.forward(), graph.virtual_root(), graph.has_reverse() ? &graph.reverse() : nullptr);
        out.idom = std::move(tree.idom);
        out.idom.pop_back();  // the virtual root's own entry
        out.preorder.assign(tree.preorder.begin() + 1, tree.preorder.end());
    }
    for (ObjectIndex& d : out.idom)
        if (d == kNoVertex) d = kNoObject;  // the same value; spelled for objects
    // Children after their dominator in preorder: sum sizes bottom-up in reverse.
    out.retained.assign(n, 0);
    for (ObjectIndex v : out.preorder) out.retained[v] = s.size[v];
    for (std::size_t k = out.preorder.size(); k-- > 0;) {
        ObjectIndex v = out.preorder[k];
        ObjectIndex d = out.idom[v];
        if (d < n) out.retained[d] += out.retained[v];
    }
    return out;
}

std::vector<TypeStat> retained_by_type(const HeapGraph& graph, const RetainedSizes& sizes) {
    const Snapshot& s = graph.snapshot();
    const std::uint32_t n = graph.object_count();
    std::vector<TypeStat> by_type = type_table(s);
    for (ObjectIndex i = 0; i < n; ++i) {
        TypeStat& t = by_type[s.type[i].value];
        ++t.count;
        t.size += s.size[i];
    }
    // An instance counts when no dominator above it has its type. Walk the dominator
    // tree depth-first (children lists in CSR form, an explicit stack) keeping, per
    // type, how many instances are open on the current path.
    std::vector<std::uint32_t> child_begin(n + 2, 0), children(sizes.preorder.size());
    for (ObjectIndex v : sizes.preorder) ++child_begin[sizes.idom[v] + 1];
    for (std::uint32_t v = 0; v <= n; ++v) child_begin[v + 1] += child_begin[v];
    {
        std::vector<std::uint32_t> fill(child_begin.begin(), child_begin.end() - 1);
        for (ObjectIndex v : sizes.preorder) children[fill[sizes.idom[v]]++] = v;
    }
    std::vector<std::uint32_t> open(s.types.size() + 1, 0);
    struct Entry {
        std::uint32_t vertex;
        std::uint32_t next_child;
    };
    std::vector<Entry> stack{{n, child_begin[n]}};
    while (!stack.empty()) {
        Entry& top = stack.back();
        if (top.next_child == child_begin[top.vertex + 1]) {
            if (top.vertex < n) --open[s.type[top.vertex].value];
            stack.pop_back();
            continue;
        }
        ObjectIndex v = children[top.next_child++];
        std::uint32_t t = s.type[v].value;
        if (open[t]++ == 0) by_type[t].retained += sizes.retained[v];
        stack.push_back({v, child_begin[v]});  // `top` is not used after this
    }
    drop_empty_types(by_type);
    return by_type;
}

}  // namespace heapdiff

namespace heapdiff {

std::vector<ObjectIndex> retained_objects(const HeapGraph& graph, ObjectIndex object) {
    std::vector<ObjectIndex> out;
    if (object >= graph.object_count()) return out;
    std::vector<bool> reached = graph.reached_from_roots(object);
    if (!reached[object]) return out;
    out.push_back(object);
    for (std::size_t k = 0; k < out.size(); ++k)
        for (auto [it, end] = adjacent_vertices(out[k], graph.forward()); it != end; ++it)
            if (!reached[*it]) {
                reached[*it] = true;
                out.push_back(*it);
            }
    return out;
}

std::uint64_t retained_size_of(const HeapGraph& graph, ObjectIndex object) {
    std::uint64_t total = 0;
    for (ObjectIndex i : retained_objects(graph, object)) total += graph.snapshot().size[i];
    return total;
}

}  // namespace heapdiff

namespace heapdiff {

RetainedReport retained_report(const HeapGraph& graph, ObjectIndex object) {
    const Snapshot& s = graph.snapshot();
    RetainedReport out;
    out.object = object;
    out.kept = retained_objects(graph, object);
    out.types = type_table(s);
    for (ObjectIndex i : out.kept) {
        TypeStat& t = out.types[s.type[i].value];
        ++t.count;
        t.size += s.size[i];
        out.bytes += s.size[i];
    }
    drop_empty_types(out.types);
    sort_types(out.types, TypeOrder::BySize);
    return out;
}

}  // namespace heapdiff
