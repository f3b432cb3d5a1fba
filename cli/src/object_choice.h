// The options every per-object command shares: --type NAME with --pick, or --address,
// and turning them into one object of the snapshot (or one clear error line).
#pragma once

#include <string>

#include "heapdiff/heap_graph.h"

namespace CLI {
class App;
}

namespace heapdiff::cli {

struct ObjectChoice {
    std::string type;
    std::string pick = "last";
    std::string address;
};

void add_object_choice(CLI::App* command, ObjectChoice& choice);

// The chosen object; Error when the type or address is not in the snapshot (with the
// names or addresses the user probably meant) or --pick is out of range.
// --pick largest means the largest retained size (instances of one class mostly share
// their shallow size), which takes the graph's dominator tree.
ObjectIndex choose_object(const HeapGraph& graph, const ObjectChoice& choice, const std::string& path);

}  // namespace heapdiff::cli
