#include "heapdiff/summary_report.h"

#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"

namespace heapdiff {

SummaryReport summary_report(const Snapshot& s) {
    SummaryReport out;
    out.facts = snapshot_facts(s);
    out.summary = summarize(s);
    out.types_by_size = out.summary.types;
    sort_types(out.types_by_size, TypeOrder::BySize);
    out.unreferenced = unreferenced_search(s);
    const GarbageReport trash = find_garbage(HeapGraph(s, false));
    out.garbage = {trash.objects, trash.bytes};
    out.memory = memory_account(s);
    return out;
}

}  // namespace heapdiff
