// How `heapdiff backrefs` renders its reports (graph/backrefs_report.h): text or one
// JSON document per object (docs/JSON.md, "backrefs"). Both only read the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/backrefs_report.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/snapshot.h"
#include "render/json_output.h"

namespace heapdiff::cli {

// What the chains start from, as --to names it ("module", "root" or a type name), and the
// limits the text explains an empty answer with.
struct BackrefsQuery {
    std::string to = "module";
    std::uint32_t max_depth = 100;
    std::string path;  // the snapshot, for the command the text suggests
};

// {"target", "to", "chain", "chains", "cycle", "cycle_to_target"}.
Json backrefs_json(const Snapshot& snapshot, const BackrefsReport& report, const std::string& to);

void print_backrefs_text(const Snapshot& snapshot, const BackrefsReport& report, const BackrefsQuery& query);

// --chain: {"chains": [...]}, and the text "chain 1 of 2, 3 references:" and its hops.
Json given_chains_json(const Snapshot& snapshot, const std::vector<LabelledChain>& chains);
void print_given_chains_text(const Snapshot& snapshot, const std::vector<LabelledChain>& chains);

}  // namespace heapdiff::cli
