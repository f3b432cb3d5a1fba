// Cyclic trash: objects no root reaches. Their reference counts are all explained by
// references among themselves, so only the cyclic collector can free them; a
// generation-2 threshold tuned high lets them pile up (the two-phase program in the
// gc-tuning story). The objects saved in gc.garbage count as trash too: the gc module's
// list is the only thing holding them.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/cycles.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

struct GarbageType {
    TypeStat stat;                    // the type's trash only
    std::uint64_t finalizers = 0;     // objects whose type defines __del__ / tp_finalize
    std::uint64_t in_gc_garbage = 0;  // objects listed in gc.garbage
    // The most common shapes of the shortest cycles through up to kShapeSamples of its
    // trash objects (garbage_report with shapes), and how many were sampled.
    std::size_t sampled = 0;
    std::vector<CycleShape> cycles;
};

struct GarbageReport {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t finalizers = 0;
    std::uint64_t in_gc_garbage = 0;
    std::vector<GarbageType> types;  // TypeOrder::BySize
};

// Per object: reached from the roots without passing through gc.garbage.
std::vector<bool> reachable_from_roots(const HeapGraph& graph);

// Totals and per-type rows, without cycle shapes.
GarbageReport find_garbage(const HeapGraph& graph);

// Cycle shapes come from the shortest cycles through up to this many objects of each
// type, spread over them all.
constexpr std::size_t kShapeSamples = 20;

struct GarbageOptions {
    std::size_t shapes = 3;  // cycle shapes kept per type (0: none; the graph then needs no labels)
    std::size_t shaped_types = SIZE_MAX;  // how many of the first types get shapes (a table's rows)
};

// find_garbage() and the cycle shapes of the first `shaped_types` types.
GarbageReport garbage_report(const HeapGraph& graph, const GarbageOptions& options);

}  // namespace heapdiff
