// The facts about the process a snapshot records (label, pid, Python, RSS, tracemalloc),
// read once into plain fields with "unknown" spelled out, for summary's header lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "heapdiff/snapshot.h"

namespace heapdiff {

struct TracemallocTotals {
    std::int64_t traced = -1;  // bytes tracemalloc traced when the snapshot was taken; -1 unknown
    std::int64_t peak = -1;
};

struct SnapshotFacts {
    std::string label;                         // heapdiff.dump(label=...); empty when none
    std::optional<double> time;                // seconds since the epoch
    std::int64_t pid = -1;                     // -1 unknown
    std::string python_version;                // sys.version's first word ("3.11.7"); empty unknown
    std::optional<std::uint64_t> rss;          // the process's resident set, bytes
    std::optional<TracemallocTotals> tracemalloc;  // only when tracemalloc was tracing
    // Taken from inside a garbage collection (a __del__, a weakref callback, gc.callbacks):
    // how many objects being collected were found.
    std::optional<std::uint64_t> collecting_objects;
};

SnapshotFacts snapshot_facts(const Snapshot& snapshot);

}  // namespace heapdiff
