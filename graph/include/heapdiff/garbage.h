// Cyclic trash: objects no root reaches. Their reference counts are all explained by
// references among themselves, so only the cyclic collector can free them; a
// generation-2 threshold tuned high lets them pile up (the two-phase program in the
// gc-tuning story). The objects saved in gc.garbage count as trash too: the gc module's
// list is the only thing holding them.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct GarbageTypeStat {
    TypeId type;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::uint64_t finalizers = 0;     // objects whose type defines __del__ / tp_finalize
    std::uint64_t in_gc_garbage = 0;  // objects listed in gc.garbage
};

struct GarbageReport {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t finalizers = 0;
    std::uint64_t in_gc_garbage = 0;
    std::vector<GarbageTypeStat> types;  // by size, then count (both descending), then name
};

// Per object: reached from the roots without passing through gc.garbage.
std::vector<bool> reachable_from_roots(const HeapGraph& graph);

GarbageReport find_garbage(const HeapGraph& graph);

}  // namespace heapdiff
