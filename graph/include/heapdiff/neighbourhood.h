// Which objects a picture shows: objgraph's show_backrefs / show_refs selection, made
// safe for big heaps. Breadth-first from the targets over referrers (or referents) up to
// a depth, at most `too_many` neighbours per object (the rest folded into one "N more"
// node), and a hard node budget for the whole picture.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "heapdiff/drawing.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/labelled_chain.h"
#include "heapdiff/object_names.h"
#include "heapdiff/report_bounds.h"

namespace heapdiff {

enum class Direction { Referrers, Referents };

struct NeighbourhoodOptions {
    Direction direction = Direction::Referrers;
    std::uint32_t max_depth = 3;    // objgraph's default
    std::uint32_t too_many = 10;    // objgraph's default
    std::uint32_t node_budget = kMaxDrawingNodes; // whole picture, folded nodes included; at most kMaxDrawingNodes
    // Objects that may appear besides the targets; empty: all. (retained -o limits the
    // picture to what one object dominates.)
    std::function<bool(ObjectIndex)> allowed;
    // Retained sizes per object to print in the labels; null: not shown.
    const std::vector<std::uint64_t>* retained = nullptr;
    // Names to print under each object's description; null: not shown.
    const ObjectNames* names = nullptr;
};

// objgraph's conventions: modules filled green and not expanded further (for
// referrers), targets highlighted, other nodes shaded by depth, labels with short type
// and value, size (and retained size), edges labelled like the chains are.
Drawing draw_neighbourhood(const HeapGraph& graph, const std::vector<ObjectIndex>& targets,
                           const NeighbourhoodOptions& options);

// Just the given chains (each from its root end to the target), merged where they
// share objects, within kMaxDrawingNodes: each chain gets an equal share of the nodes
// (a longer one is cut as labelled_chain.h cuts, its gap one folded node), and chains
// that no longer fit are left out, counted in the title.
Drawing draw_chains(const HeapGraph& graph, const std::vector<LabelledChain>& chains,
                    const std::vector<std::uint64_t>* retained = nullptr, const ObjectNames* names = nullptr);
// The same for chains of objects, labelled with labelled_chain().
Drawing draw_chains(const HeapGraph& graph, const std::vector<std::vector<ObjectIndex>>& chains,
                    const std::vector<std::uint64_t>* retained = nullptr, const ObjectNames* names = nullptr);

}  // namespace heapdiff
