// Per-type totals of one snapshot, like objgraph.typestats() and tracemalloc's
// statistics. Rows are TypeStat (type_stat.h), in its fixed order, never hash order.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/snapshot.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

struct Summary {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t gc_tracked = 0;
    std::vector<TypeStat> types;  // every type with objects, TypeOrder::ByCount
};

Summary summarize(const Snapshot& snapshot);

}  // namespace heapdiff
