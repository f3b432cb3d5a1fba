// A snapshot's references as a Boost.Graph compressed-sparse-row graph over 32-bit
// object indexes. Edge targets are resolved from addresses once, here; edges whose
// target is not in the snapshot are dropped and counted.
#pragma once

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cstdint>
#include <vector>

#include "heapdiff/address_index.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

using CsrGraph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                    boost::no_property, std::uint32_t, std::uint32_t>;

struct ObjectGraph {
    CsrGraph forward;
    std::vector<ObjectIndex> edge_target;  // per snapshot edge; kNoObject when unresolved
    std::uint64_t unresolved_edges = 0;
};

// Needs a snapshot loaded with edges.
ObjectGraph build_object_graph(const Snapshot& snapshot, const AddressIndex& index);

}  // namespace heapdiff
