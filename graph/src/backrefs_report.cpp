#include "heapdiff/backrefs_report.h"

#include "heapdiff/cycles.h"
#include "heapdiff/garbage.h"
#include "heapdiff/retained.h"

namespace heapdiff {
namespace {

// `trash` is empty until a target needs it; then every object no root reaches is true.
BackrefsReport report_one(const HeapGraph& g, const ObjectNames& names, ObjectIndex target,
                          const ChainOptions& options, std::vector<bool>& trash) {
    BackrefsReport r;
    r.target = named_object(names, target);
    r.retained = retained_size_of(g, target);
    r.root_reasons = g.root_reasons(target);
    if (r.root_reasons & root_reason::kExternalRefs) r.unexplained_refs = g.unexplained_refs(target);
    for (const Chain& c : shortest_chains(g, target, options)) r.chains.push_back(labelled_chain(g, c));
    if (r.chains.empty() && r.retained == 0) {
        if (trash.empty()) {
            trash = reachable_from_roots(g);
            trash.flip();
        }
        HoldingCycle held = holding_cycle(g, target, trash);
        if (!held.cycle.empty()) {
            r.cycle = labelled_chain(g, held.cycle);
            r.cycle_to_target = labelled_chain(g, held.path);
        }
    }
    return r;
}

}  // namespace

BackrefsReport backrefs_report(const HeapGraph& graph, const ObjectNames& names, ObjectIndex target,
                               const ChainOptions& options) {
    std::vector<bool> trash;
    return report_one(graph, names, target, options, trash);
}

std::vector<BackrefsReport> backrefs_reports(const HeapGraph& graph, const ObjectNames& names,
                                             const std::vector<ObjectIndex>& targets, const ChainOptions& options) {
    std::vector<bool> trash;
    std::vector<BackrefsReport> out;
    out.reserve(targets.size());
    for (ObjectIndex t : targets) out.push_back(report_one(graph, names, t, options, trash));
    return out;
}

}  // namespace heapdiff
