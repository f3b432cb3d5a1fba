// A chain of references as a report carries it: the objects (the start first, each
// referring to the next) and the label of each reference, so that a renderer (text,
// JSON, HTML) prints it without going back to the graph's edges.
#pragma once

#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"

namespace heapdiff {

struct LabelledChain {
    std::vector<ObjectIndex> objects;  // the start first, the end (the target) last
    std::vector<std::string> edges;    // edges[k]: the reference objects[k-1] -> objects[k]
                                       // ("[3]", ".attr", "" when unlabelled); edges[0] is ""

    bool empty() const { return objects.empty(); }
    std::size_t references() const { return objects.empty() ? 0 : objects.size() - 1; }
};

// Labels each step of `objects` (each must refer to the next) with label_between().
LabelledChain labelled_chain(const HeapGraph& graph, const std::vector<ObjectIndex>& objects);

}  // namespace heapdiff
