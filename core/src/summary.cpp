#include "heapdiff/summary.h"

#include <algorithm>
#include <tuple>

namespace heapdiff {

Summary summarize(const Snapshot& s) {
    Summary out;
    std::vector<TypeStat> per_type(s.types.size() + 1);
    for (std::size_t t = 0; t < per_type.size(); ++t) per_type[t].type = TypeId(static_cast<std::uint32_t>(t));
    const std::size_t n = s.object_count();
    for (std::size_t i = 0; i < n; ++i) {
        TypeStat& stat = per_type[s.type[i].value];
        ++stat.count;
        stat.size += s.size[i];
        out.bytes += s.size[i];
        out.gc_tracked += s.flags[i] & format::object_flag::kGcTracked;
    }
    out.objects = n;
    for (const TypeStat& t : per_type)
        if (t.count) out.types.push_back(t);
    std::sort(out.types.begin(), out.types.end(), [&](const TypeStat& a, const TypeStat& b) {
        return std::make_tuple(b.count, b.size, s.type_name(a.type)) < std::make_tuple(a.count, a.size, s.type_name(b.type));
    });
    return out;
}

std::vector<TypeStat> by_size(const Snapshot& s, std::vector<TypeStat> stats) {
    std::sort(stats.begin(), stats.end(), [&](const TypeStat& a, const TypeStat& b) {
        return std::make_tuple(b.size, b.count, s.type_name(a.type)) < std::make_tuple(a.size, a.count, s.type_name(b.type));
    });
    return stats;
}

}  // namespace heapdiff
