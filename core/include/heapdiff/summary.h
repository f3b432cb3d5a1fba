// Per-type totals of one snapshot, like objgraph.typestats() and tracemalloc's
// statistics. Order is fixed and documented so output never depends on hash order.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

struct TypeStat {
    TypeId type;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
};

struct Summary {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t gc_tracked = 0;
    std::vector<TypeStat> types;  // every type with objects, by count, then size, then name
};

Summary summarize(const Snapshot& snapshot);

// The same stats reordered: by size, then count, then name.
std::vector<TypeStat> by_size(const Snapshot& snapshot, std::vector<TypeStat> stats);

}  // namespace heapdiff
