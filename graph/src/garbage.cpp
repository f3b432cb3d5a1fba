#include "heapdiff/garbage.h"

#include <algorithm>

namespace heapdiff {
namespace {

// The list gc.garbage names: a list in the gc module's dict whose items are all marked
// as being in gc.garbage (told by the flags, so display values need not be loaded).
// Its items are not reached through it. kNoObject when gc.garbage is empty.
ObjectIndex gc_garbage_list(const HeapGraph& graph) {
    const Snapshot& s = graph.snapshot();
    const AddressIndex& index = graph.index();
    auto is = [&](ObjectIndex i, std::string_view type) { return i != kNoObject && s.type_name(s.type[i]) == type; };
    auto all_saved = [&](ObjectIndex list) {
        if (s.edge_begin[list] == s.edge_begin[list + 1]) return false;
        for (std::uint64_t e = s.edge_begin[list]; e < s.edge_begin[list + 1]; ++e) {
            ObjectIndex item = index.find(s.edge_target[e]);
            if (item != kNoObject && !(s.flags[item] & format::object_flag::kInGcGarbage)) return false;
        }
        return true;
    };
    for (const ModuleRoot& m : s.module_roots) {
        if (s.strings.get(m.name) != "gc") continue;
        ObjectIndex module = index.find(m.address);
        if (module == kNoObject) return kNoObject;
        for (std::uint64_t e = s.edge_begin[module]; e < s.edge_begin[module + 1]; ++e) {
            ObjectIndex dict = index.find(s.edge_target[e]);
            if (!is(dict, "builtins.dict")) continue;
            for (std::uint64_t f = s.edge_begin[dict]; f < s.edge_begin[dict + 1]; ++f) {
                ObjectIndex value = index.find(s.edge_target[f]);
                const bool is_value = s.edge_kind.empty() || s.edge_kind[f] == EdgeKind::DictValue;  // kinds not loaded
                if (is_value && is(value, "builtins.list") && all_saved(value)) return value;
            }
        }
    }
    return kNoObject;
}

}  // namespace

std::vector<bool> reachable_from_roots(const HeapGraph& graph) {
    std::vector<bool> reached = graph.reached_from_roots(gc_garbage_list(graph));
    reached.pop_back();  // the virtual root
    return reached;
}

GarbageReport find_garbage(const HeapGraph& graph) {
    const Snapshot& s = graph.snapshot();
    std::vector<bool> reached = reachable_from_roots(graph);
    std::vector<GarbageType> by_type;
    for (TypeStat& t : type_table(s)) {
        by_type.emplace_back();
        by_type.back().stat = std::move(t);
    }
    GarbageReport report;
    for (ObjectIndex i = 0; i < graph.object_count(); ++i) {
        if (reached[i]) continue;
        GarbageType& t = by_type[s.type[i].value];
        const bool finalizer = s.flags[i] & format::object_flag::kHasFinalizer;
        const bool saved = s.flags[i] & format::object_flag::kInGcGarbage;
        ++t.stat.count;
        t.stat.size += s.size[i];
        t.finalizers += finalizer;
        t.in_gc_garbage += saved;
        ++report.objects;
        report.bytes += s.size[i];
        report.finalizers += finalizer;
        report.in_gc_garbage += saved;
    }
    for (GarbageType& t : by_type)
        if (t.stat.count) report.types.push_back(std::move(t));
    sort_types(report.types, TypeOrder::BySize, [](const GarbageType& t) -> const TypeStat& { return t.stat; });
    return report;
}

GarbageReport garbage_report(const HeapGraph& graph, const GarbageOptions& options) {
    GarbageReport report = find_garbage(graph);
    if (options.shapes == 0 || report.objects == 0) return report;
    std::vector<bool> trash = reachable_from_roots(graph);
    trash.flip();
    std::vector<std::vector<ObjectIndex>> members = trash_by_type(graph, trash);
    const std::size_t shaped = std::min(options.shaped_types, report.types.size());
    for (std::size_t k = 0; k < shaped; ++k) {
        GarbageType& t = report.types[k];
        t.cycles = cycle_shapes(graph, trash, members[t.stat.type.value], kShapeSamples, t.sampled);
        if (t.cycles.size() > options.shapes) t.cycles.resize(options.shapes);
    }
    return report;
}

}  // namespace heapdiff
