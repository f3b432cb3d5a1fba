// Turns an edge's kind and argument into the text a human reads: ['key'], [3], .attr,
// __dict__, local 'db' ... Shared by every command that prints or draws edges.
#pragma once

#include <cstdint>
#include <string>

#include "heapdiff/address_index.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

// Label of edge e (an index into the snapshot's edge columns) of object `source`.
std::string edge_label(const Snapshot& snapshot, ObjectIndex source, std::uint64_t e,
                       const std::vector<ObjectIndex>* edge_target_index = nullptr);

// The same, finding a dict key's object through the address index instead of a
// resolved-target column (one lookup, for commands that label a handful of edges).
std::string edge_label(const Snapshot& snapshot, ObjectIndex source, std::uint64_t e, const AddressIndex& index);

}  // namespace heapdiff
