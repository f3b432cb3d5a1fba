// A chain of references as a report carries it: the objects (the start first, each
// referring to the next) and the label of each reference, so that a renderer (text,
// JSON, HTML, drawings) prints it without going back to the graph's edges.
//
// Bounded: a chain longer than kMaxChainReferences (report_bounds.h; a suspect's path
// down a linked list a million nodes long, a cycle through all of them) keeps its first
// kChainHeadObjects objects and the ones before its end; the objects between are left
// out and counted, so every renderer shows "… N objects left out …" at that place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/report_bounds.h"

namespace heapdiff {

struct LabelledChain {
    std::vector<ObjectIndex> objects;  // the start first, the end (the target) last
    std::vector<std::string> edges;    // edges[k]: the reference into objects[k] from the object
                                       // before it ("[3]", ".attr", "" when unlabelled); edges[0] is ""
    // Objects left out between objects[gap] and objects[gap + 1] (0: none): then edges[gap + 1]
    // labels the reference into objects[gap + 1] from the last object left out.
    std::size_t left_out = 0;
    std::size_t gap = 0;

    bool empty() const { return objects.empty(); }
    // References of the whole chain, those left out included.
    std::size_t references() const { return objects.empty() ? 0 : objects.size() - 1 + left_out; }
};

// "… 299,890 objects left out …": how every renderer marks a chain's gap.
std::string left_out_label(std::size_t objects);

// Labels each step of `objects` (each must refer to the next) with label_between(), and
// keeps at most kMaxChainReferences + 1 objects (shortened_chain).
LabelledChain labelled_chain(const HeapGraph& graph, const std::vector<ObjectIndex>& objects);

// The chain with at most `max_objects` objects (at least 2): its first objects (up to
// kChainHeadObjects, a quarter of max_objects at most) and its last ones, the rest left
// out. A chain already cut keeps its gap inside the new one.
LabelledChain shortened_chain(LabelledChain chain, std::size_t max_objects);

}  // namespace heapdiff
