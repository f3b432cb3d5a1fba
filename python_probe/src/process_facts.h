// Per-snapshot process facts (RSS, gc and tracemalloc state, interpreter, argv ...),
// read before the walk starts; keys are listed in docs/FORMAT.md.
#pragma once

#include <string>

#include "heapdiff/writer.h"

namespace heapdiff::probe {

void write_process_facts(SnapshotWriter& writer, const std::string& label);

}  // namespace heapdiff::probe
