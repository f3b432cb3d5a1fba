// The reference cycle that keeps a piece of cyclic trash alive. A trash object has no
// chain from a root (backrefs has nothing to print), but it is held all the same: by a
// cycle through itself (an exception whose traceback's frame holds the exception in a
// local, six's reraise) or by a cycle that refers to it. Knowing the cycle says which
// reference to break.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

// Objects a search visits at most before giving up: a trash cycle is short, a trash
// component may be huge.
constexpr std::size_t kCycleSearchBudget = 100000;

// The shortest cycle through `object`: it first and last ([a, b, c, a]); empty when none
// is found within the budget. Only objects `trash` marks true are walked (every member
// of a cycle through a trash object is trash), or every object when `trash` is empty.
std::vector<ObjectIndex> shortest_cycle_through(const HeapGraph& graph, ObjectIndex object,
                                                const std::vector<bool>& trash);

struct HoldingCycle {
    std::vector<ObjectIndex> cycle;  // [a, ..., a]; empty: none found
    std::vector<ObjectIndex> path;   // from a down to the object ([a] when the object is a)
};

// The nearest cycle that holds `object`: through it if there is one, else through the
// closest of its referrers (a breadth-first walk up, which needs the reverse graph).
HoldingCycle holding_cycle(const HeapGraph& graph, ObjectIndex object, const std::vector<bool>& trash);

// A cycle's shape, the same for every instance of one leak: "Node -> .next -> Node ->
// .prev -> Node", list indexes as [i]. The cycle should start at the object of interest.
std::string cycle_shape(const HeapGraph& graph, const std::vector<ObjectIndex>& cycle);

struct CycleShape {
    std::string shape;
    std::uint64_t count = 0;  // sampled objects whose shortest cycle has this shape
};

// The trash objects of each type, indexed by TypeId value, in object order.
std::vector<std::vector<ObjectIndex>> trash_by_type(const HeapGraph& graph, const std::vector<bool>& trash);

// The shapes of the shortest cycles through up to `samples` of `members` (spread over
// all of them), most common first, then by text. `sampled` is how many were looked at.
std::vector<CycleShape> cycle_shapes(const HeapGraph& graph, const std::vector<bool>& trash,
                                     const std::vector<ObjectIndex>& members, std::size_t samples, std::size_t& sampled);

}  // namespace heapdiff
