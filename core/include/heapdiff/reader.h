// Reads a snapshot file into the flat in-memory model. Every malformed input ends in
// one heapdiff::Error with a one-line message: missing file, not a snapshot, truncated,
// corrupted, or written by a newer heapdiff. No input can make it crash, hang or
// allocate more than the file could justify: only regular files are opened
// (regular_file.h), no section may claim more than format::kMaxSectionRaw, and the whole
// file no more than read_limits() of its size.
#pragma once

#include <cstdint>
#include <string>

#include "heapdiff/error.h"  // the Error every malformed input ends in
#include "heapdiff/snapshot.h"

namespace heapdiff {

struct LoadOptions {
    bool edges = true;   // leave EDGE sections undecoded when false (summary needs none);
                         // they are still checksummed and their edges counted
    bool values = true;  // skip display values when false
    bool refcounts = true;  // skip the refcount column when false (diff and summary need none)
    bool flags = true;      // skip the flags column when false (diff needs none)
    bool edge_labels = true;  // with edges: skip their kinds and arguments when false
                              // (reachability needs only targets; 9 bytes per edge)
};

// What a file of `file_size` bytes may claim over all its sections together; a file that
// claims more is refused before anything is allocated for it ("... claims more data than
// its N bytes can hold"). Each is an allowance plus a ratio times the size (format.h).
struct ReadLimits {
    std::uint64_t decompressed = 0;  // bytes, summed over every section's raw_size
    std::uint64_t objects = 0;
    std::uint64_t edges = 0;
    std::uint64_t table_rows = 0;    // strings, types, tracebacks, frames, trace stats, roots, facts
};
ReadLimits read_limits(std::uint64_t file_size);

Snapshot read_snapshot(const std::string& path, LoadOptions options = {});

// The same decoder over bytes already in memory (tests, the fuzz target).
Snapshot read_snapshot_bytes(const std::uint8_t* data, std::size_t size, LoadOptions options = {},
                             const std::string& name = "<memory>");

}  // namespace heapdiff
