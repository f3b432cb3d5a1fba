// Retained sizes from the dominator tree, like Eclipse MAT and Chrome DevTools: the
// retained size of an object is what would be freed if it went away, i.e. the sizes of
// every object it dominates (every path from the roots to them passes through it),
// itself included. The tree hangs from the HeapGraph's virtual root.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct RetainedSizes {
    // Per object: its immediate dominator, the virtual root (object count) for objects
    // only the virtual root dominates, kNoObject for objects no root reaches.
    std::vector<ObjectIndex> idom;
    std::vector<std::uint64_t> retained;  // per object; 0 when no root reaches it
    std::vector<ObjectIndex> preorder;    // reached objects, each after its dominator
};

RetainedSizes retained_sizes(const HeapGraph& graph);

struct TypeRetained {
    TypeId type;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    // What its instances retain, counted once: the retained sizes of the instances that
    // no other instance of the same type dominates (MAT's "retained heap" of a class,
    // quick form: a lower bound of what freeing every instance would free).
    std::uint64_t retained = 0;
};

// Per type, in type-id order (types without instances left out).
std::vector<TypeRetained> retained_by_type(const HeapGraph& graph, const RetainedSizes& sizes);

}  // namespace heapdiff

namespace heapdiff {

// One object's dominator subtree without the whole dominator tree: mark what the roots
// reach when `object` is taken out; what `object` reaches that is left unmarked is what
// it retains. Two traversals of the graph. `object` first; empty when no root reaches it.
std::vector<ObjectIndex> retained_objects(const HeapGraph& graph, ObjectIndex object);

// The sum of their sizes: the same number retained_sizes() gives for `object`.
std::uint64_t retained_size_of(const HeapGraph& graph, ObjectIndex object);

}  // namespace heapdiff
