// The options every per-object command shares: --type NAME with --pick (last, first,
// largest, orphan, trash, N), or --address,
// and turning them into one object of the snapshot (or one clear error line). Commands
// that take several objects (backrefs, refs) also accept --pick all and --address
// repeated.
#pragma once

#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace CLI {
class App;
}

namespace heapdiff::cli {

struct ObjectChoice {
    std::string type;
    std::string pick = "last";
    std::vector<std::string> addresses;  // one, unless the command takes several
};

// `several`: --address may repeat and --pick may be "all".
void add_object_choice(CLI::App* command, ObjectChoice& choice, bool several = false);

// The chosen object; Error when the type or address is not in the snapshot (with the
// names or addresses the user probably meant) or --pick is out of range.
// --pick largest means the largest retained size (instances of one class mostly share
// their shallow size), which takes the graph's dominator tree.
ObjectIndex choose_object(const HeapGraph& graph, const ObjectChoice& choice, const std::string& path);

// The chosen objects, in the order given (--pick all: snapshot order); at least one.
std::vector<ObjectIndex> choose_objects(const HeapGraph& graph, const ObjectChoice& choice, const std::string& path);

// The object at an address given as text ("0x7f3a1c2b4e10" or decimal); Error naming the
// object it falls inside, or the nearest ones, when no object starts there.
ObjectIndex object_at(const HeapGraph& graph, const std::string& address, const std::string& path);

}  // namespace heapdiff::cli
