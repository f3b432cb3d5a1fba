// tracemalloc's traced memory as a flame graph: one stack per allocation traceback, root
// frame first, weighted by the bytes (and blocks) still allocated there. The model of
// `heapdiff export --format speedscope`; any flame-graph viewer could take it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

struct AllocationProfile {
    struct Site {
        std::string file;
        std::uint32_t line = 0;
    };
    std::vector<Site> sites;                         // distinct (file, line)
    std::vector<std::vector<std::uint32_t>> stacks;  // indexes into sites, outermost first
    std::vector<std::uint64_t> bytes, blocks;        // per stack
    std::uint64_t total_bytes = 0;
    std::uint64_t cut_stacks = 0;  // tracebacks tracemalloc cut at its frame limit
};

// Throws a usage heapdiff::Error naming `shown_name` when the snapshot was taken while
// tracemalloc was not tracing (it has no allocation sites).
AllocationProfile allocation_profile(const Snapshot& snapshot, const std::string& shown_name);

}  // namespace heapdiff
