// Orphans: objects that nothing in the snapshot refers to although their reference
// count says something does. Modules, types, immortal objects and the frames of running
// threads are left out (the interpreter holds those). What remains is held by C code:
// the interpreter's own caches, and — when it grows between snapshots — a C
// extension that created references and never released them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/diff.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

struct OrphanTypeStat {
    std::string type;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::int64_t count_diff = 0;  // with two snapshots: newest minus oldest
    std::int64_t size_diff = 0;
    std::vector<FrameText> traceback;  // the most common allocation traceback, most recent call last
    std::uint64_t traceback_count = 0;  // how many of the orphans were allocated there
};

struct OrphanReport {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::vector<OrphanTypeStat> types;  // by |size diff| (or size), count, name
};

// The objects of one snapshot, loaded with edges, that are orphans.
std::vector<ObjectIndex> orphan_objects(const Snapshot& snapshot);

// One snapshot, or two (oldest first) for growth.
OrphanReport find_orphans(const std::vector<const Snapshot*>& snapshots);

}  // namespace heapdiff
