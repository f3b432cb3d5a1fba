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
#include "heapdiff/type_stat.h"

namespace heapdiff {

// A type's orphans: how many (with two snapshots, their growth: stat.count_diff and
// stat.size_diff, newest minus oldest), and the clues to where they come from.
struct OrphanType {
    TypeStat stat;  // the orphans only, not every object of the type
    std::vector<FrameText> traceback;  // the most common allocation traceback, most recent call last
    std::uint64_t traceback_count = 0;  // how many of the orphans were allocated there
    std::uint64_t unreferenced = 0;     // of `count`, found only by the allocator (no referrer at all)
    // The most common display values (ints, floats, short strs and bytes: a leak's values
    // are often its clue, e.g. line numbers), with two snapshots those that grew, most first.
    std::vector<std::pair<std::string, std::int64_t>> values;
};

// Whether the probe searched the allocator for objects nothing refers to, from the facts.
struct UnreferencedSearch {
    bool searched = false;
    std::string where;   // what was searched, or "not searched: why"; empty in old snapshots
    std::uint64_t objects = 0;  // found, the snapshot's last objects
};
UnreferencedSearch unreferenced_search(const Snapshot& snapshot);

struct OrphanReport {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::vector<OrphanType> types;  // TypeOrder::ByGrowth with two snapshots, TypeOrder::BySize with one
    UnreferencedSearch search;          // of the newest snapshot
    bool growth = false;                // two snapshots
};

// The objects of one snapshot, loaded with edges, that are orphans.
std::vector<ObjectIndex> orphan_objects(const Snapshot& snapshot);

// One snapshot, or two (oldest first) for growth. With two, only types that grew are
// kept unless `all_types`: the interpreter's own orphans (a few hundred in a bare one)
// are the same in both and would bury the leak.
OrphanReport find_orphans(const std::vector<const Snapshot*>& snapshots, bool all_types = false);

}  // namespace heapdiff
