// Turns an edge's kind and argument into the text a human reads: ['key'], [3], .attr,
// __dict__, local 'db' ... Shared by every command that prints or draws edges.
#pragma once

#include <cstdint>
#include <string>

#include "heapdiff/address_index.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

// Label of edge e (an index into the snapshot's edge columns) of object `source`. A dict
// value's label is its key as a Python literal (python_literal.h); the key object is
// found through `index`.
std::string edge_label(const Snapshot& snapshot, ObjectIndex source, std::uint64_t e, const AddressIndex& index);

}  // namespace heapdiff
