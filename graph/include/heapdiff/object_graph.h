// The graph type every analysis uses: a Boost.Graph compressed-sparse-row graph over
// 32-bit vertex and edge indexes. HeapGraph (heap_graph.h) builds one from a snapshot.
#pragma once

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cstdint>

namespace heapdiff {

using CsrGraph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                    boost::no_property, std::uint32_t, std::uint32_t>;

}  // namespace heapdiff
