// The --json renderers of the type-listing commands: each turns the report value its
// library function computed into the document docs/JSON.md describes, and only reads it.
#pragma once

#include <cstddef>

#include "render/json_output.h"
#include "heapdiff/diff.h"
#include "heapdiff/garbage.h"
#include "heapdiff/object_names.h"
#include "heapdiff/orphans.h"
#include "heapdiff/retained.h"
#include "heapdiff/summary_report.h"
#include "heapdiff/top.h"
#include "heapdiff/type_stat.h"

namespace heapdiff::cli {

// A type row: {"type", "count", "size"}; commands add their own fields beside these.
Json type_row_json(const TypeStat& stat);

Json to_json(const SummaryReport& report);
// The first `rows` groups (a --top cut).
Json to_json(const DiffReport& report, std::size_t rows);
Json to_json(const OrphanReport& report, std::size_t rows);
Json to_json(const GarbageReport& report);
// Object rows need the snapshot and, for their "name", the names (nullptr: none).
Json to_json(const TopReport& report, const Snapshot& snapshot, const ObjectNames* names);
Json to_json(const RetainedReport& report, const Snapshot& snapshot, const ObjectNames* names);

}  // namespace heapdiff::cli
