#include "heapdiff/labelled_chain.h"

namespace heapdiff {

LabelledChain labelled_chain(const HeapGraph& graph, const std::vector<ObjectIndex>& objects) {
    LabelledChain out;
    out.objects = objects;
    out.edges.reserve(objects.size());
    for (std::size_t k = 0; k < objects.size(); ++k)
        out.edges.push_back(k ? graph.label_between(objects[k - 1], objects[k]) : std::string());
    return out;
}

}  // namespace heapdiff
