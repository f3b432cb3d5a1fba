#include "heapdiff/summary.h"

namespace heapdiff {

Summary summarize(const Snapshot& s) {
    Summary out;
    out.types = type_table(s);
    const std::size_t n = s.object_count();
    for (std::size_t i = 0; i < n; ++i) {
        TypeStat& stat = out.types[s.type[i].value];
        ++stat.count;
        stat.size += s.size[i];
        out.bytes += s.size[i];
        out.gc_tracked += s.flags[i] & format::object_flag::kGcTracked;
    }
    out.objects = n;
    drop_empty_types(out.types);
    sort_types(out.types, TypeOrder::ByCount);
    return out;
}

}  // namespace heapdiff
