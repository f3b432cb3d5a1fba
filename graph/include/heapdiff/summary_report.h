// `heapdiff summary`: one snapshot at a glance. The totals and types (core's summarize),
// the process facts, whether the probe searched for unreferenced objects, and the cyclic
// trash, which needs the object graph: hence here in graph/, not in core.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/memory_account.h"
#include "heapdiff/orphans.h"
#include "heapdiff/snapshot.h"
#include "heapdiff/snapshot_facts.h"
#include "heapdiff/summary.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

struct GarbageTotals {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
};

struct SummaryReport {
    SnapshotFacts facts;
    Summary summary;                      // summary.types: TypeOrder::ByCount
    std::vector<TypeStat> types_by_size;  // the same rows, TypeOrder::BySize
    UnreferencedSearch unreferenced;
    GarbageTotals garbage;                // cyclic trash: objects no root reaches
    MemoryAccount memory;                 // where RSS went (1.2 snapshots with a memory map)
};

// The snapshot loaded with edges (values and labels are not needed).
SummaryReport summary_report(const Snapshot& snapshot);

}  // namespace heapdiff
