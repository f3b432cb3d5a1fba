#include "heapdiff/top.h"

#include <algorithm>

#include "heapdiff/error.h"
#include "heapdiff/retained.h"

namespace heapdiff {

std::optional<TopMeasure> parse_top_measure(std::string_view text) {
    if (text == "retained") return TopMeasure::Retained;
    if (text == "size") return TopMeasure::Size;
    if (text == "count") return TopMeasure::Count;
    return std::nullopt;
}

const char* top_measure_name(TopMeasure measure) {
    switch (measure) {
        case TopMeasure::Retained: return "retained";
        case TopMeasure::Size: return "size";
        case TopMeasure::Count: return "count";
    }
    return "?";
}

const char* top_grouping_name(TopGrouping grouping) { return grouping == TopGrouping::Object ? "object" : "type"; }

namespace {

std::size_t cut(std::size_t available, std::size_t limit) { return limit == 0 ? available : std::min(available, limit); }

std::vector<TopObject> top_objects(const HeapGraph& g, TopMeasure by, std::size_t limit) {
    const Snapshot& s = g.snapshot();
    std::vector<std::uint64_t> retained;
    if (by == TopMeasure::Retained) retained = retained_sizes(g).retained;
    const std::vector<ObjectIndex> order = largest_objects(s, by == TopMeasure::Retained ? retained : s.size, limit);
    std::vector<TopObject> out(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) out[k] = {order[k], retained.empty() ? 0 : retained[order[k]]};
    return out;
}

}  // namespace

std::vector<ObjectIndex> largest_objects(const Snapshot& s, const std::vector<std::uint64_t>& measure, std::size_t limit) {
    std::vector<ObjectIndex> order(s.object_count());
    for (ObjectIndex i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t rows = cut(order.size(), limit);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(rows), order.end(),
                      [&](ObjectIndex a, ObjectIndex b) {
                          if (measure[a] != measure[b]) return measure[a] > measure[b];
                          return s.address[a] < s.address[b];
                      });
    order.resize(rows);
    return order;
}

TopReport top_report(const HeapGraph& g, TopMeasure by, TopGrouping group_by, std::size_t limit) {
    if (group_by == TopGrouping::Object && by == TopMeasure::Count)
        throw usage_error("--by count counts objects per type: use it with --group-by type");
    TopReport out;
    out.by = by;
    out.group_by = group_by;
    out.heap_objects = g.snapshot().object_count();
    if (group_by == TopGrouping::Object) {
        out.objects = top_objects(g, by, limit);
        return out;
    }
    out.types = retained_by_type(g, retained_sizes(g));
    sort_types(out.types, by == TopMeasure::Count  ? TypeOrder::ByCount
                          : by == TopMeasure::Size ? TypeOrder::BySize
                                                   : TypeOrder::ByRetained);
    out.types.resize(cut(out.types.size(), limit));
    return out;
}

}  // namespace heapdiff
