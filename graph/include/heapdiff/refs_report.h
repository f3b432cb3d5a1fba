// What an object refers to, as one value: `heapdiff refs` renders it as text or JSON,
// and an HTML object page can list the same referents. No printing here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/named_object.h"
#include "heapdiff/object_names.h"

namespace heapdiff {

struct Reference {
    std::string edge;                // its label: "['key']", ".attr", "[3]"; "" when unlabelled
    ObjectIndex object = kNoObject;  // kNoObject: the snapshot does not hold the object
    std::uint64_t address = 0;       // the referent's address (also when it is not held)
};

struct RefsReport {
    NamedObject object;
    std::uint64_t retained = 0;      // bytes it retains
    std::vector<Reference> refs;     // every reference it has, in the snapshot's edge order
};

// One object.
RefsReport refs_report(const HeapGraph& graph, const ObjectNames& names, ObjectIndex object);

// Several objects, in the order given: for more than one, the retained sizes come from
// one walk of the dominator tree instead of one search per object.
std::vector<RefsReport> refs_reports(const HeapGraph& graph, const ObjectNames& names,
                                     const std::vector<ObjectIndex>& objects);

}  // namespace heapdiff
