// One dump: facts, trace statistics, roots, then every object gc tracks and, once each,
// every untracked object reachable from them, streamed through SnapshotWriter.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heapdiff {
class SnapshotWriter;
}

namespace heapdiff::probe {

struct DumpRequest {
    std::string path;
    std::string label;
    std::string probe_dir;  // frames and traces of code under it are the probe's own
    bool tracebacks = true;
    std::vector<const void*> own_objects;  // the call's own argument tuple and such
    // Before 3.11: the lists of gc.get_objects(2), (1), (0), made by the caller (a forked
    // dump makes them in the parent: the child must not take a reference per object).
    const void* gc_lists[3] = {nullptr, nullptr, nullptr};
    long pid = 0;  // the "pid" fact when it is not this process's (a forked dump's parent)
    // Called just before the file is finished: the caller's own facts (fork_dump.h).
    std::function<void(SnapshotWriter&)> last_facts;
};

struct DumpStats {
    std::uint64_t objects = 0;
    std::uint64_t gc_objects = 0;
    std::uint64_t edges = 0;
    std::uint64_t file_bytes = 0;
    std::uint64_t probe_peak_bytes = 0;  // the probe's own bookkeeping, estimated
    double seconds = 0;
};

// Throws heapdiff::Error; the caller holds the GIL.
DumpStats dump_heap(const DumpRequest& request);

}  // namespace heapdiff::probe
