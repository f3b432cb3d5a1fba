#include "heapdiff/object_graph.h"

#include <algorithm>
#include <utility>

#include "heapdiff/error.h"

namespace heapdiff {

ObjectGraph build_object_graph(const Snapshot& s, const AddressIndex& index) {
    if (!s.has_edges()) throw Error("internal error: the snapshot was loaded without its edges");
    ObjectGraph g;
    const std::size_t n = s.object_count();
    g.edge_target.resize(s.edge_target.size());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    pairs.reserve(s.edge_target.size());
    for (std::size_t i = 0; i < n; ++i) {
        for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) {
            ObjectIndex t = index.find(s.edge_target[e]);
            g.edge_target[e] = t;
            if (t == kNoObject) {
                ++g.unresolved_edges;
                continue;
            }
            pairs.emplace_back(static_cast<std::uint32_t>(i), t);
        }
    }
    g.forward = CsrGraph(boost::edges_are_sorted, pairs.begin(), pairs.end(), static_cast<std::uint32_t>(n));
    return g;
}

}  // namespace heapdiff
