// The name a Python developer would type to reach an object: the dotted path from a
// module down the shortest chain of references that Python code can follow
// (sympy.core.numbers._intcache, errorlog._temp_logs[3]['tb'], app.Cache.entries).
//
// Computed once per snapshot by one breadth-first walk from every module, which keeps
// per object only its parent and the step from it (9 bytes), so the edge columns may be
// freed afterwards. Modules are walked last-imported first: a package imports its
// submodules after itself, so an object a package re-exports is named after the module
// that defines it. A frame's local reads .f_locals['db']. References no Python expression
// follows (a dict's key, a set item, an unlabelled referent) are not walked, nor a module
// through another.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/edge_kind.h"
#include "heapdiff/heap_graph.h"

namespace heapdiff {

class ObjectNames {
public:
    // Names longer than this, or more than kMaxSteps references from a module, are not
    // short: such an object has no name (its chain is what `backrefs` is for).
    static constexpr std::size_t kMaxNameBytes = 100;
    static constexpr std::uint32_t kMaxSteps = 12;

    // The graph must be built from a snapshot loaded with values, edges and edge labels.
    explicit ObjectNames(const HeapGraph& graph);

    // "" when no short name reaches the object.
    std::string name(ObjectIndex object) const;

    std::size_t memory_bytes() const { return parent_.capacity() * 9; }

private:
    const HeapGraph* graph_;
    std::vector<ObjectIndex> parent_;     // kNoObject: not reached; itself: a module
    std::vector<std::uint32_t> step_;     // the edge's argument: a key object, index or
                                          // StringId; for a module, its module_roots row
    std::vector<EdgeKind> step_kind_;
};

}  // namespace heapdiff
