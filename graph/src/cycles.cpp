#include "heapdiff/cycles.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "heapdiff/object_text.h"

namespace heapdiff {
namespace {

bool walkable(const std::vector<bool>& trash, ObjectIndex i) { return trash.empty() || (i < trash.size() && trash[i]); }

// "[12]" -> "[i]": one shape for every position of a list or tuple.
std::string shape_label(std::string label) {
    if (label.size() > 2 && label.front() == '[' && label.back() == ']' &&
        std::all_of(label.begin() + 1, label.end() - 1, [](char c) { return c >= '0' && c <= '9'; }))
        return "[i]";
    return label.empty() ? "(referent)" : label;
}

}  // namespace

std::vector<ObjectIndex> shortest_cycle_through(const HeapGraph& g, ObjectIndex object,
                                                const std::vector<bool>& trash) {
    if (object >= g.object_count()) return {};
    std::unordered_map<ObjectIndex, ObjectIndex> parent;  // visited -> the object it was reached from
    std::deque<ObjectIndex> queue{object};
    parent.emplace(object, kNoObject);
    while (!queue.empty() && parent.size() < kCycleSearchBudget) {
        const ObjectIndex v = queue.front();
        queue.pop_front();
        for (auto [it, end] = adjacent_vertices(v, g.forward()); it != end; ++it) {
            const ObjectIndex t = *it;
            if (t == object) {  // closed: walk back from v
                std::vector<ObjectIndex> cycle{object};
                for (ObjectIndex u = v; u != kNoObject; u = parent[u]) cycle.push_back(u);
                std::reverse(cycle.begin(), cycle.end());  // object ... v object
                return cycle;
            }
            if (t >= g.object_count() || !walkable(trash, t) || parent.count(t)) continue;
            parent.emplace(t, v);
            queue.push_back(t);
        }
    }
    return {};
}

HoldingCycle holding_cycle(const HeapGraph& g, ObjectIndex object, const std::vector<bool>& trash) {
    HoldingCycle out;
    if (object >= g.object_count()) return out;
    std::unordered_map<ObjectIndex, ObjectIndex> child;  // referrer -> the object below it
    std::deque<ObjectIndex> queue{object};
    child.emplace(object, kNoObject);
    std::size_t tried = 0;
    while (!queue.empty() && tried < 64) {  // each try is a bounded search of its own
        const ObjectIndex v = queue.front();
        queue.pop_front();
        ++tried;
        out.cycle = shortest_cycle_through(g, v, trash);
        if (!out.cycle.empty()) {
            for (ObjectIndex u = v; u != kNoObject; u = child[u]) out.path.push_back(u);
            return out;
        }
        if (!g.has_reverse()) break;
        for (auto [it, end] = adjacent_vertices(v, g.reverse()); it != end; ++it) {
            const ObjectIndex r = *it;
            if (r >= g.object_count() || !walkable(trash, r) || child.count(r)) continue;
            child.emplace(r, v);
            queue.push_back(r);
        }
    }
    return out;
}

std::string cycle_shape(const HeapGraph& g, const std::vector<ObjectIndex>& cycle) {
    const Snapshot& s = g.snapshot();
    std::string out;
    for (std::size_t k = 0; k < cycle.size(); ++k) {
        if (k) out += " -> " + shape_label(g.label_between(cycle[k - 1], cycle[k])) + " -> ";
        out += short_type_name(s.type_name(s.type[cycle[k]]));
        // A frame's function says which code to fix ("frame reraise"); its line may vary.
        std::string_view value = s.value(cycle[k]);
        if (s.type_name(s.type[cycle[k]]) == "builtins.frame" && !value.empty())
            out += " " + std::string(value.substr(0, value.find(' ')));
    }
    return out;
}

std::vector<std::vector<ObjectIndex>> trash_by_type(const HeapGraph& g, const std::vector<bool>& trash) {
    const Snapshot& s = g.snapshot();
    std::vector<std::vector<ObjectIndex>> out(s.types.size() + 1);
    for (ObjectIndex i = 0; i < g.object_count(); ++i)
        if (walkable(trash, i) && s.type[i].value < out.size()) out[s.type[i].value].push_back(i);
    return out;
}

std::vector<CycleShape> cycle_shapes(const HeapGraph& g, const std::vector<bool>& trash,
                                     const std::vector<ObjectIndex>& members, std::size_t samples, std::size_t& sampled) {
    sampled = std::min(samples, members.size());
    std::map<std::string, std::uint64_t> counts;
    for (std::size_t k = 0; k < sampled; ++k) {
        const ObjectIndex i = members[k * members.size() / sampled];  // spread over all of them
        std::vector<ObjectIndex> cycle = shortest_cycle_through(g, i, trash);
        ++counts[cycle.empty() ? std::string("(on no cycle: held by other trash)") : cycle_shape(g, cycle)];
    }
    std::vector<CycleShape> out;
    for (auto& [shape, count] : counts) out.push_back({shape, count});
    std::stable_sort(out.begin(), out.end(), [](const CycleShape& a, const CycleShape& b) { return a.count > b.count; });
    return out;
}

}  // namespace heapdiff
