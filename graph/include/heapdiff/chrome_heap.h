// A snapshot in the shape of Chrome DevTools' heap snapshot (the .heapsnapshot JSON the
// Memory tab loads): flat node and edge arrays of 32-bit fields over one string table,
// node 0 the synthetic root. This is the model; cli/src/commands/export_command.cpp writes it.
//
// DevTools groups "object" nodes by their name in its Summary view, so every Python
// object is an "object" named after its type ("builtins.dict", "app.DB"), but a str,
// which is a "string" named by its value as V8's strings are. Edges carry the labels
// heapdiff prints (['db'], tb_frame, local 'db'); list and tuple items are "element"
// edges with their index. The root (node 0) reaches every module by a "shortcut" edge
// named after it, as V8's root reaches its global objects: DevTools measures distances
// from these user roots. Its synthetic child "(GC roots)" holds "(thread stacks)" (every
// thread's frames) and "(held by C)" (objects whose reference count is more than the
// snapshot's references explain, and immortal objects).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct ChromeHeap {
    // The names DevTools reads from "meta"; the order of each list is the format's.
    static const std::vector<std::string>& node_fields();  // type, name, id, self_size, edge_count, trace_node_id, detachedness
    static const std::vector<std::string>& node_types();   // hidden, array, string, object, ...
    static const std::vector<std::string>& edge_fields();  // type, name_or_index, to_node
    static const std::vector<std::string>& edge_types();   // context, element, property, internal, hidden, shortcut, weak

    std::vector<std::uint32_t> nodes;  // node_fields().size() per node
    std::vector<std::uint32_t> edges;  // edge_fields().size() per edge, grouped by source node
    std::vector<std::string> strings;  // referred to by index from names
    std::uint64_t clamped_sizes = 0;   // objects over 4 GiB (the format's fields are 32-bit)
    std::uint64_t unresolved_edges = 0;  // edges to objects the snapshot does not hold: left out

    std::size_t node_count() const { return nodes.size() / node_fields().size(); }
    std::size_t edge_count() const { return edges.size() / edge_fields().size(); }
};

// Node k is the snapshot's object k - 4 for k >= 4 (0: the root, 1-3: the groups); its
// id is 2k + 1, odd as V8's object ids are. Fails (heapdiff::Error) for a heap of more
// objects than the format's 32-bit node offsets reach (about 613 million).
ChromeHeap chrome_heap(const HeapGraph& graph);

}  // namespace heapdiff
