#include "heapdiff/snapshot_facts.h"

#include <algorithm>

namespace heapdiff {
namespace {

std::int64_t int_fact(const Snapshot& s, std::string_view key, std::int64_t fallback = -1) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::Int ? f->int_value : fallback;
}

std::string string_fact(const Snapshot& s, std::string_view key) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::String ? f->string_value : std::string();
}

}  // namespace

SnapshotFacts snapshot_facts(const Snapshot& s) {
    SnapshotFacts out;
    out.label = string_fact(s, "label");
    if (const Fact* f = s.fact("time"); f && f->kind == format::FactKind::Float) out.time = f->float_value;
    out.pid = int_fact(s, "pid");
    const std::string version = string_fact(s, "python.version");
    out.python_version = version.substr(0, version.find(' '));
    if (const std::int64_t rss = int_fact(s, "process.rss"); rss >= 0) out.rss = static_cast<std::uint64_t>(rss);
    if (int_fact(s, "tracemalloc.tracing", 0) > 0)
        out.tracemalloc = TracemallocTotals{int_fact(s, "tracemalloc.traced"), int_fact(s, "tracemalloc.peak")};
    if (int_fact(s, "probe.during_collection", 0) > 0)
        out.collecting_objects = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_fact(s, "probe.collecting_objects", 0)));
    return out;
}

}  // namespace heapdiff
