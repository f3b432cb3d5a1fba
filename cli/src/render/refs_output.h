// How `heapdiff refs` renders its reports (graph/refs_report.h): a text block or one JSON
// document per object (docs/JSON.md, "refs"). Both only read the report.
#pragma once

#include "heapdiff/refs_report.h"
#include "heapdiff/snapshot.h"
#include "render/json_output.h"

namespace heapdiff::cli {

// {"object": {... "retained"}, "refs": [{"edge", "address", "type", "label", "size"}]}; a
// referent the snapshot does not hold has its address and null type, label and size.
Json refs_json(const Snapshot& snapshot, const RefsReport& report);

void print_refs_text(const Snapshot& snapshot, const RefsReport& report);

}  // namespace heapdiff::cli
