#include "heapdiff/allocation_profile.h"

#include <map>
#include <utility>

#include "heapdiff/error.h"

namespace heapdiff {

AllocationProfile allocation_profile(const Snapshot& s, const std::string& shown_name) {
    const Fact* tracing = s.fact("tracemalloc.tracing");
    if (!tracing || tracing->kind != format::FactKind::Int || tracing->int_value != 1)
        throw usage_error(shown_name + " was taken while tracemalloc was not tracing, so it has no allocation sites; "
                                       "start tracing early in the program (PYTHONTRACEMALLOC=25) and dump again");
    AllocationProfile out;
    std::map<std::pair<std::string, std::uint32_t>, std::uint32_t> site_ids;
    auto site = [&](const Frame& f) {
        std::pair<std::string, std::uint32_t> key(std::string(s.strings.get(f.filename)), f.lineno);
        auto [it, fresh] = site_ids.emplace(key, static_cast<std::uint32_t>(out.sites.size()));
        if (fresh) out.sites.push_back({key.first, key.second});
        return it->second;
    };
    // One stack per traceback: its domains (Python's allocator, others) add up.
    std::vector<std::uint64_t> bytes(s.traceback_count() + 1), blocks(s.traceback_count() + 1);
    for (const TraceStat& t : s.trace_stats) {
        if (!t.traceback.valid() || t.traceback.value > s.traceback_count()) continue;
        bytes[t.traceback.value] += t.size;
        blocks[t.traceback.value] += t.count;
    }
    for (std::uint32_t t = 1; t <= s.traceback_count(); ++t) {
        if (!bytes[t] && !blocks[t]) continue;
        std::vector<std::uint32_t> stack;
        // Stored most recent first; a flame graph wants the outermost frame first.
        for (std::uint64_t f = s.traceback_begin[t]; f-- > s.traceback_begin[t - 1];) stack.push_back(site(s.traceback_frames[f]));
        if (s.traceback_total_frames[t - 1] > s.traceback_begin[t] - s.traceback_begin[t - 1]) ++out.cut_stacks;
        out.stacks.push_back(std::move(stack));
        out.bytes.push_back(bytes[t]);
        out.blocks.push_back(blocks[t]);
        out.total_bytes += bytes[t];
    }
    return out;
}

}  // namespace heapdiff
