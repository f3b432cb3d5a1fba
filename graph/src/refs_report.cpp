#include "heapdiff/refs_report.h"

#include "heapdiff/edge_label.h"
#include "heapdiff/retained.h"

namespace heapdiff {
namespace {

RefsReport report_one(const HeapGraph& g, const ObjectNames& names, ObjectIndex object, std::uint64_t retained) {
    const Snapshot& s = g.snapshot();
    RefsReport r;
    r.object = named_object(names, object);
    r.retained = retained;
    r.refs.reserve(s.edge_begin[object + 1] - s.edge_begin[object]);
    for (std::uint64_t e = s.edge_begin[object]; e < s.edge_begin[object + 1]; ++e)
        r.refs.push_back({edge_label(s, object, e, g.index()), g.index().find(s.edge_target[e]), s.edge_target[e]});
    return r;
}

}  // namespace

RefsReport refs_report(const HeapGraph& graph, const ObjectNames& names, ObjectIndex object) {
    return report_one(graph, names, object, retained_size_of(graph, object));
}

std::vector<RefsReport> refs_reports(const HeapGraph& graph, const ObjectNames& names,
                                     const std::vector<ObjectIndex>& objects) {
    std::vector<RefsReport> out;
    out.reserve(objects.size());
    if (objects.size() == 1) {
        out.push_back(refs_report(graph, names, objects.front()));
        return out;
    }
    const std::vector<std::uint64_t> retained = retained_sizes(graph).retained;
    for (ObjectIndex o : objects) out.push_back(report_one(graph, names, o, retained[o]));
    return out;
}

}  // namespace heapdiff
