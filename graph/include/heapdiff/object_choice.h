// Which object (or objects) of a snapshot a command, a query or a report means: --type NAME
// with a pick (last, first, largest, orphan, trash, all, N), or addresses; and turning that
// into objects of the graph, or one clear error line naming what the user probably meant.
#pragma once

#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct ObjectChoice {
    std::string type;
    std::string pick = "last";
    std::vector<std::string> addresses;  // one, unless the caller takes several
};

// The chosen object; Error when the type or address is not in the snapshot (with the
// names or addresses the user probably meant) or the pick is out of range.
// "largest" means the largest retained size (instances of one class mostly share
// their shallow size), which takes the graph's dominator tree. `path` names the snapshot
// in messages.
ObjectIndex choose_object(const HeapGraph& graph, const ObjectChoice& choice, const std::string& path);

// The chosen objects, in the order given ("all": snapshot order); at least one.
std::vector<ObjectIndex> choose_objects(const HeapGraph& graph, const ObjectChoice& choice, const std::string& path);

// The object at an address given as text ("0x7f3a1c2b4e10" or decimal); Error naming the
// object it falls inside, or the nearest ones, when no object starts there.
ObjectIndex object_at(const HeapGraph& graph, const std::string& address, const std::string& path);

}  // namespace heapdiff
