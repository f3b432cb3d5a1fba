// Everything `heapdiff report` shows about an incident, computed once from the snapshots
// (oldest first) by the same library functions the single commands use: the trend of
// totals and of the fastest growing types, the leak suspects, the types, the allocation
// sites, the biggest retainers, cyclic trash and orphans of the newest snapshot. The
// value only; cli/src/render/html_report.cpp turns it into a page.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "heapdiff/diff.h"
#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/memory_account.h"
#include "heapdiff/object_names.h"
#include "heapdiff/orphans.h"
#include "heapdiff/retained.h"
#include "heapdiff/snapshot.h"
#include "heapdiff/snapshot_facts.h"
#include "heapdiff/suspects_report.h"

namespace heapdiff {

// One snapshot's totals: a point of the trend.
struct SnapshotPoint {
    std::string path;
    SnapshotFacts facts;  // label, time, pid, Python, RSS
    std::uint64_t objects = 0, bytes = 0;
};

// One type's count and size in every snapshot (0 where it has no objects).
struct TypeTrend {
    std::string type;
    std::vector<std::uint64_t> count, size;
};

struct IncidentOptions {
    std::size_t trend_types = 6;  // types in the trend: those whose size grew most, first to last
    std::size_t rows = 500;       // rows kept per table (a 10M-object heap has thousands of types)
    std::size_t suspects = 10;    // suspects given details (0: all)
};

struct IncidentReport {
    std::vector<SnapshotPoint> points;  // one per snapshot, oldest first
    std::vector<TypeTrend> trends;        // by size growth, largest first (one snapshot: by size)
    std::vector<TypeTrend> count_trends;  // the same by count

    // The newest snapshot and what the object pages read from it.
    std::unique_ptr<Snapshot> last;
    std::unique_ptr<HeapGraph> graph;  // with referrers
    std::unique_ptr<ObjectNames> names;
    RetainedSizes sizes;

    LeakSuspectsReport suspects;       // details (names, chains, source lines) for the first options.suspects
    std::vector<GroupDiff> types;      // newest snapshot's types; diffs against the oldest (zero with one)
    std::uint64_t type_count = 0;      // before the cut to options.rows
    std::vector<GroupDiff> sites;      // allocation tracebacks (tracemalloc), the same way
    std::uint64_t site_count = 0;
    std::string sites_note;            // why there are no sites, when there are none
    std::vector<ObjectIndex> retainers;  // the newest snapshot's biggest retainers, largest first
    GarbageReport garbage;             // types cut to options.rows
    OrphanReport orphans;              // the same; with two or more snapshots, growth oldest to newest
    std::vector<MemoryAccount> memory;  // where RSS went, one per snapshot (memory_account.h)
    std::vector<MemoryFinding> memory_findings;
};

// Throws Error for a file that is not a snapshot, as every command does.
IncidentReport build_incident_report(const std::vector<std::string>& paths, const IncidentOptions& options = {});

}  // namespace heapdiff
