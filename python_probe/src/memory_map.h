// The snapshot's memory map (docs/FORMAT.md, "The memory map"; docs/MEMORY.md): the
// process's mappings from /proc/self/smaps, pymalloc's arenas and size classes, the C
// allocator's own figures and the cgroup's, read once at dump time, before the walk.
// Nothing is walked for it and no Python code runs. A part that cannot be read is
// recorded as a fact saying why; the dump goes on.
#pragma once

#include "heapdiff/writer.h"

namespace heapdiff::probe {

void write_memory_map(SnapshotWriter& writer);

}  // namespace heapdiff::probe
