#include "heapdiff/object_graph.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "heapdiff/error.h"

namespace heapdiff {

AddressIndex::AddressIndex(const Snapshot& s) {
    const std::size_t n = s.object_count();
    indexes_.resize(n);
    std::iota(indexes_.begin(), indexes_.end(), ObjectIndex{0});
    std::sort(indexes_.begin(), indexes_.end(), [&](ObjectIndex a, ObjectIndex b) { return s.address[a] < s.address[b]; });
    addresses_.resize(n);
    for (std::size_t i = 0; i < n; ++i) addresses_[i] = s.address[indexes_[i]];
}

ObjectIndex AddressIndex::find(std::uint64_t address) const {
    auto it = std::lower_bound(addresses_.begin(), addresses_.end(), address);
    if (it == addresses_.end() || *it != address) return kNoObject;
    return indexes_[static_cast<std::size_t>(it - addresses_.begin())];
}

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
