#include "heapdiff/garbage.h"

#include <algorithm>
#include <tuple>

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
    std::vector<GarbageTypeStat> by_type(s.types.size() + 1);
    GarbageReport report;
    for (ObjectIndex i = 0; i < graph.object_count(); ++i) {
        if (reached[i]) continue;
        GarbageTypeStat& t = by_type[s.type[i].value];
        const bool finalizer = s.flags[i] & format::object_flag::kHasFinalizer;
        const bool saved = s.flags[i] & format::object_flag::kInGcGarbage;
        ++t.count;
        t.size += s.size[i];
        t.finalizers += finalizer;
        t.in_gc_garbage += saved;
        ++report.objects;
        report.bytes += s.size[i];
        report.finalizers += finalizer;
        report.in_gc_garbage += saved;
    }
    for (std::uint32_t t = 0; t < by_type.size(); ++t) {
        if (by_type[t].count == 0) continue;
        by_type[t].type = TypeId(t);
        report.types.push_back(by_type[t]);
    }
    std::sort(report.types.begin(), report.types.end(), [&](const GarbageTypeStat& a, const GarbageTypeStat& b) {
        if (std::tie(a.size, a.count) != std::tie(b.size, b.count)) return std::tie(a.size, a.count) > std::tie(b.size, b.count);
        return s.type_name(a.type) < s.type_name(b.type);
    });
    return report;
}

}  // namespace heapdiff
