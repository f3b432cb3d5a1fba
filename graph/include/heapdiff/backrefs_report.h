// What keeps an object alive, as one value: `heapdiff backrefs` renders it as text or
// JSON, and an HTML object page can show the same. The shortest chains from a module (or
// a root, or a type) down to the object (chains.h); when none exists and nothing retains
// it, the object is cyclic trash and the report carries the cycle that holds it
// (cycles.h). No printing here.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/chains.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/named_object.h"
#include "heapdiff/object_names.h"

namespace heapdiff {

struct BackrefsReport {
    NamedObject target;
    std::uint64_t retained = 0;           // bytes it retains; 0: no root reaches it
    std::uint8_t root_reasons = 0;        // root_reason bits (heap_graph.h); 0: not a root
    std::uint64_t unexplained_refs = 0;   // with root_reason::kExternalRefs: references from outside
    std::vector<LabelledChain> chains;    // shortest first, each from the start down to the target
    // Only when `chains` is empty and retained is 0 (cyclic trash), else both empty:
    LabelledChain cycle;                  // the nearest cycle that holds it, [a, ..., a]
    LabelledChain cycle_to_target;        // from a down to the target ([a] when it is a)
};

// One object. The graph needs its reverse (HeapGraph(snapshot, true)).
BackrefsReport backrefs_report(const HeapGraph& graph, const ObjectNames& names, ObjectIndex target,
                               const ChainOptions& options);

// Several objects, in the order given: the marks of what no root reaches are computed
// once, for the first target that is cyclic trash, instead of once per target.
std::vector<BackrefsReport> backrefs_reports(const HeapGraph& graph, const ObjectNames& names,
                                             const std::vector<ObjectIndex>& targets, const ChainOptions& options);

}  // namespace heapdiff
