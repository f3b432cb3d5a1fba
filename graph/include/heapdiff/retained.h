// Retained sizes from the dominator tree, like Eclipse MAT and Chrome DevTools: the
// retained size of an object is what would be freed if it went away, i.e. the sizes of
// every object it dominates (every path from the roots to them passes through it),
// itself included. The tree hangs from the HeapGraph's virtual root.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

struct RetainedSizes {
    // Per object: its immediate dominator, the virtual root (object count) for objects
    // only the virtual root dominates, kNoObject for objects no root reaches.
    std::vector<ObjectIndex> idom;
    std::vector<std::uint64_t> retained;  // per object; 0 when no root reaches it
    std::vector<ObjectIndex> preorder;    // reached objects, each after its dominator
};

RetainedSizes retained_sizes(const HeapGraph& graph);

// Per type, in type-id order (types without instances left out), with `retained` set:
// what its instances retain, counted once: the retained sizes of the instances that no
// other instance of the same type dominates (MAT's "retained heap" of a class, quick
// form: a lower bound of what freeing every instance would free).
std::vector<TypeStat> retained_by_type(const HeapGraph& graph, const RetainedSizes& sizes);

}  // namespace heapdiff

namespace heapdiff {

// One object's dominator subtree without the whole dominator tree: mark what the roots
// reach when `object` is taken out; what `object` reaches that is left unmarked is what
// it retains. Two traversals of the graph. `object` first; empty when no root reaches it.
std::vector<ObjectIndex> retained_objects(const HeapGraph& graph, ObjectIndex object);

// The sum of their sizes: the same number retained_sizes() gives for `object`.
std::uint64_t retained_size_of(const HeapGraph& graph, ObjectIndex object);

}  // namespace heapdiff

namespace heapdiff {

// `heapdiff retained`: what one object keeps alive, per type.
struct RetainedReport {
    ObjectIndex object = kNoObject;
    std::vector<ObjectIndex> kept;  // retained_objects(): itself first; empty when no root reaches it
    std::uint64_t bytes = 0;        // their sizes: the object's retained size
    std::vector<TypeStat> types;    // `kept` per type, TypeOrder::BySize
};

RetainedReport retained_report(const HeapGraph& graph, ObjectIndex object);

}  // namespace heapdiff
