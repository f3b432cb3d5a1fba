#include "heapdiff/type_stat.h"

#include <cstdlib>
#include <tuple>

namespace heapdiff {

bool type_before(const TypeStat& a, const TypeStat& b, TypeOrder order) {
    // Descending keys first, so the comparison is "b's keys < a's keys"; the name last,
    // ascending.
    auto magnitude = [](std::int64_t d) { return d < 0 ? static_cast<std::uint64_t>(-(d + 1)) + 1 : static_cast<std::uint64_t>(d); };
    switch (order) {
        case TypeOrder::ByCount:
            if (std::tie(a.count, a.size) != std::tie(b.count, b.size))
                return std::tie(b.count, b.size) < std::tie(a.count, a.size);
            break;
        case TypeOrder::BySize:
            if (std::tie(a.size, a.count) != std::tie(b.size, b.count))
                return std::tie(b.size, b.count) < std::tie(a.size, a.count);
            break;
        case TypeOrder::ByRetained:
            if (std::tie(a.retained, a.size, a.count) != std::tie(b.retained, b.size, b.count))
                return std::tie(b.retained, b.size, b.count) < std::tie(a.retained, a.size, a.count);
            break;
        case TypeOrder::ByGrowth: {
            const auto ka = std::make_tuple(magnitude(a.size_diff), magnitude(a.count_diff), a.size, a.count);
            const auto kb = std::make_tuple(magnitude(b.size_diff), magnitude(b.count_diff), b.size, b.count);
            if (ka != kb) return kb < ka;
            break;
        }
    }
    return a.name < b.name;
}

void sort_types(std::vector<TypeStat>& rows, TypeOrder order) {
    sort_types(rows, order, [](const TypeStat& t) -> const TypeStat& { return t; });
}

std::vector<TypeStat> type_table(const Snapshot& s) {
    std::vector<TypeStat> out(s.types.size() + 1);
    for (std::uint32_t t = 0; t < out.size(); ++t) {
        out[t].type = TypeId(t);
        out[t].name = std::string(s.type_name(TypeId(t)));
    }
    return out;
}

void drop_empty_types(std::vector<TypeStat>& rows) {
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const TypeStat& t) { return t.count == 0 && t.count_diff == 0 && t.size_diff == 0; }),
               rows.end());
}

}  // namespace heapdiff
