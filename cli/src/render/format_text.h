// Text helpers shared by every command: human sizes, thousands separators (CSV cells: csv_cell.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "heapdiff/object_text.h"  // human_size, with_commas
#include "heapdiff/snapshot_facts.h"

namespace heapdiff::cli {

std::string signed_size(std::int64_t bytes);        // "+1.5 MiB", "-312 B", "0 B"
std::string signed_count(std::int64_t n);           // "+1,234", "-5", "0"

// When a snapshot was taken, local time "2026-12-02 10:27:46"; "?" when it does not say.
std::string local_time(const SnapshotFacts& facts);

// Colour only on a terminal, and never with --no-color or NO_COLOR set.
bool want_colour(bool no_colour_flag);

}  // namespace heapdiff::cli
