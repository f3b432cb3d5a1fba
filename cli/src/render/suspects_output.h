// How `heapdiff suspects` renders its report (graph/suspects_report.h): text, or one JSON
// document (docs/JSON.md, "suspects"). Both only read the report; they show the suspects
// that have details (LeakSuspectsOptions::shown).
#pragma once

#include <string>

#include "heapdiff/snapshot.h"
#include "heapdiff/suspects_report.h"
#include "render/json_output.h"

namespace heapdiff::cli {

// {"snapshots", "candidates", "heap_bytes", "suspects": [...]}.
Json suspects_json(const Snapshot& last, const LeakSuspectsReport& report);

// `first_path` and `last_path` name the snapshots in the headline.
void print_suspects_text(const Snapshot& last, const LeakSuspectsReport& report, const std::string& first_path,
                         const std::string& last_path);

}  // namespace heapdiff::cli
