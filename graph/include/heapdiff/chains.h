// Back-reference chains: the shortest paths of references from a module (or any root,
// or an object of a given type) down to one object, found breadth-first over the
// reverse graph, like objgraph.find_backref_chain(obj, inspect.ismodule). More than one
// chain: Yen's k shortest simple paths, each differing from the others in at least one
// object.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct ChainStart {
    enum class Kind { Module, Root, Type };
    Kind kind = Kind::Module;
    std::vector<TypeId> types;  // for Kind::Type: any of these
};

struct ChainOptions {
    ChainStart start;
    std::uint32_t max_depth = 100;  // references per chain at most
    std::uint32_t paths = 1;        // how many distinct chains
};

using Chain = std::vector<ObjectIndex>;  // the start object first, the target last

// Shortest first; fewer than asked when there are no more (none when nothing of the
// start kind reaches the target within max_depth). Needs a HeapGraph with its reverse.
std::vector<Chain> shortest_chains(const HeapGraph& graph, ObjectIndex target, const ChainOptions& options);

}  // namespace heapdiff
