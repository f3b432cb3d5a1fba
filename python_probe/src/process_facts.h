// Per-snapshot process facts (RSS, gc and tracemalloc state, interpreter, argv ...),
// read before the walk starts; keys are listed in docs/FORMAT.md.
#pragma once

#include <string>

#include "heapdiff/writer.h"

namespace heapdiff::probe {

// pid: the process the snapshot is of (a forked dump's parent), 0 for this one.
void write_process_facts(SnapshotWriter& writer, const std::string& label, long pid = 0);

}  // namespace heapdiff::probe
