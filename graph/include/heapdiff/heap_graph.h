// A loaded snapshot as a graph the analyses share: its references as Boost.Graph CSR
// graphs over 32-bit object indexes (forward, and reverse when asked for), and the roots
// CPython's collector would start from.
//
// Vertex n (n = object count) is a virtual root with an edge to every root, so
// "reachable from the roots" is "reachable from one vertex" and the dominator tree has
// one root. Roots are:
//   - modules listed in sys.modules (the snapshot's module roots);
//   - the frames of every thread;
//   - every object whose reference count is greater than the references the snapshot
//     explains (its in-edges): held by C code, the interpreter, or a C stack. This is
//     the collector's own test (gc_refs > 0 after subtracting internal references).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/address_index.h"
#include "heapdiff/object_graph.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {

// Why an object is a root; a bit set.
namespace root_reason {
constexpr std::uint8_t kModule = 1u << 0;        // in sys.modules
constexpr std::uint8_t kThreadFrame = 1u << 1;   // on a thread's stack
constexpr std::uint8_t kExternalRefs = 1u << 2;  // refcount > references in the snapshot
constexpr std::uint8_t kImmortal = 1u << 3;      // an immortal object (3.12+): the interpreter owns it
}  // namespace root_reason

class HeapGraph {
public:
    // The snapshot must be loaded with edges and refcounts, and must outlive the graph.
    // `with_reverse` also builds the reverse graph (backrefs need it; retained sizes and
    // garbage do not).
    HeapGraph(const Snapshot& snapshot, bool with_reverse);

    const Snapshot& snapshot() const { return *snapshot_; }
    const AddressIndex& index() const { return index_; }
    std::uint32_t object_count() const { return n_; }
    std::uint32_t virtual_root() const { return n_; }

    // n + 1 vertices; the virtual root's edges go to every root.
    const CsrGraph& forward() const { return forward_; }
    // The same edges turned around; empty unless built with `with_reverse`.
    const CsrGraph& reverse() const { return reverse_; }
    bool has_reverse() const { return num_vertices(reverse_) != 0; }

    std::uint8_t root_reasons(ObjectIndex i) const { return root_reasons_[i]; }
    bool is_root(ObjectIndex i) const { return root_reasons_[i] != 0; }
    const std::vector<ObjectIndex>& roots() const { return roots_; }
    // References the snapshot cannot explain: refcount minus in-edges, 0 when the
    // in-edges account for all of them (or the object is immortal: then it is the count
    // of its in-edges that is unknown, and this returns 0).
    std::uint64_t unexplained_refs(ObjectIndex i) const;

    bool is_module(ObjectIndex i) const { return snapshot_->type[i] == module_type_ && module_type_.valid(); }

    // Edges whose target the snapshot does not hold (objects freed mid-walk, or
    // referents the probe could not describe).
    std::uint64_t unresolved_edges() const { return unresolved_edges_; }

    // Per object (n + 1 entries, the virtual root last): reached from the roots without
    // going through `not_through`'s references (it is itself marked if reached).
    std::vector<bool> reached_from_roots(ObjectIndex not_through = kNoObject) const;

    // The snapshot edge indexes from `source` to `target` (parallel references: a list
    // holding the same object twice), in the source's edge order.
    std::vector<std::uint64_t> edges_between(ObjectIndex source, ObjectIndex target) const;
    // Their labels joined: "['db']", "[3], [7]", "tb_frame"; "" when none has a label.
    // At most kMaxJoinedLabels (report_bounds.h), then ", … and N more" (references).
    std::string label_between(ObjectIndex source, ObjectIndex target) const;

private:
    const Snapshot* snapshot_;
    AddressIndex index_;
    std::uint32_t n_ = 0;
    CsrGraph forward_, reverse_;
    std::vector<std::uint8_t> root_reasons_;
    std::vector<std::uint32_t> in_edges_;  // per object, saturating
    std::vector<ObjectIndex> roots_;
    std::uint64_t unresolved_edges_ = 0;
    TypeId module_type_;
};

}  // namespace heapdiff
