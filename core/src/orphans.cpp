#include "heapdiff/orphans.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "heapdiff/address_index.h"
#include "heapdiff/error.h"

namespace heapdiff {

std::vector<ObjectIndex> orphan_objects(const Snapshot& s) {
    if (!s.has_edges()) throw Error("internal error: orphans need a snapshot loaded with its edges");
    AddressIndex index(s);
    std::vector<std::uint32_t> referrers(s.object_count(), 0);
    for (std::uint64_t target : s.edge_target) {
        ObjectIndex t = index.find(target);
        if (t != kNoObject && referrers[t] != UINT32_MAX) ++referrers[t];
    }
    std::unordered_set<std::uint64_t> held_by_interpreter;
    for (const ModuleRoot& m : s.module_roots) held_by_interpreter.insert(m.address);
    for (const ThreadRoot& t : s.thread_roots) held_by_interpreter.insert(t.frames.begin(), t.frames.end());
    for (const TypeInfo& t : s.types) held_by_interpreter.insert(t.address);

    std::vector<ObjectIndex> out;
    for (ObjectIndex i = 0; i < s.object_count(); ++i) {
        if (referrers[i] != 0 || s.refcount[i] == 0) continue;
        if (s.flags[i] & format::object_flag::kImmortal) continue;
        if (held_by_interpreter.count(s.address[i])) continue;
        std::string_view type = s.type_name(s.type[i]);
        if (type == "builtins.module" || type == "builtins.type" || type == "builtins.frame") continue;
        out.push_back(i);
    }
    return out;
}

namespace {

struct Tally {
    std::uint64_t count = 0, size = 0;
    std::map<std::vector<std::pair<std::string, std::uint32_t>>, std::uint64_t> tracebacks;
};

std::map<std::string, Tally> tally(const Snapshot& s, bool with_tracebacks) {
    std::map<std::string, Tally> out;
    for (ObjectIndex i : orphan_objects(s)) {
        Tally& t = out[std::string(s.type_name(s.type[i]))];
        ++t.count;
        t.size += s.size[i];
        TracebackId tb = s.traceback[i];
        if (!with_tracebacks || !tb.valid()) continue;
        std::vector<std::pair<std::string, std::uint32_t>> frames;
        for (std::uint64_t f = s.traceback_begin[tb.value]; f-- > s.traceback_begin[tb.value - 1];)
            frames.emplace_back(std::string(s.strings.get(s.traceback_frames[f].filename)), s.traceback_frames[f].lineno);
        ++t.tracebacks[frames];
    }
    return out;
}

}  // namespace

OrphanReport find_orphans(const std::vector<const Snapshot*>& snaps) {
    if (snaps.empty() || snaps.size() > 2) throw usage_error("orphans takes one snapshot, or two to see their growth");
    std::map<std::string, Tally> now = tally(*snaps.back(), true);
    std::map<std::string, Tally> before;
    if (snaps.size() == 2) before = tally(*snaps.front(), false);

    OrphanReport report;
    for (auto& [type, t] : now) {
        OrphanTypeStat row;
        row.type = type;
        row.count = t.count;
        row.size = t.size;
        auto b = before.find(type);
        row.count_diff = static_cast<std::int64_t>(t.count) - (b == before.end() ? 0 : static_cast<std::int64_t>(b->second.count));
        row.size_diff = static_cast<std::int64_t>(t.size) - (b == before.end() ? 0 : static_cast<std::int64_t>(b->second.size));
        for (const auto& [frames, n] : t.tracebacks)
            if (n > row.traceback_count) {
                row.traceback_count = n;
                row.traceback.clear();
                for (const auto& [file, line] : frames) row.traceback.push_back({file, line});
            }
        report.objects += t.count;
        report.bytes += t.size;
        report.types.push_back(std::move(row));
    }
    for (const auto& [type, t] : before)
        if (!now.count(type)) {
            OrphanTypeStat row;
            row.type = type;
            row.count_diff = -static_cast<std::int64_t>(t.count);
            row.size_diff = -static_cast<std::int64_t>(t.size);
            report.types.push_back(std::move(row));
        }
    const bool growth = snaps.size() == 2;
    std::stable_sort(report.types.begin(), report.types.end(), [&](const OrphanTypeStat& a, const OrphanTypeStat& b) {
        auto key = [&](const OrphanTypeStat& r) {
            return growth ? std::make_tuple(std::llabs(r.size_diff), r.size, std::llabs(r.count_diff), r.count)
                          : std::make_tuple(static_cast<long long>(r.size), r.size, 0ll, r.count);
        };
        if (key(a) != key(b)) return key(a) > key(b);
        return a.type < b.type;
    });
    return report;
}

}  // namespace heapdiff
