#include "heapdiff/orphans.h"

#include <algorithm>
#include <map>
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

UnreferencedSearch unreferenced_search(const Snapshot& s) {
    UnreferencedSearch out;
    if (const Fact* f = s.fact("probe.unreferenced_search"); f && f->kind == format::FactKind::String)
        out.where = f->string_value;
    if (const Fact* f = s.fact("probe.unreferenced_objects"); f && f->kind == format::FactKind::Int && f->int_value >= 0) {
        out.searched = true;
        out.objects = std::min<std::uint64_t>(static_cast<std::uint64_t>(f->int_value), s.object_count());
    }
    return out;
}

namespace {

// Values worth showing: short ones. Distinct values per type are capped so that a heap
// of ten million distinct strs does not make a table of them.
constexpr std::size_t kMaxValueBytes = 40;
constexpr std::size_t kMaxDistinctValues = 4096;
constexpr std::size_t kValuesShown = 5;

struct Tally {
    TypeId type;
    std::uint64_t count = 0, size = 0, unreferenced = 0;
    std::map<std::vector<std::pair<std::string, std::uint32_t>>, std::uint64_t> tracebacks;
    std::unordered_map<std::string, std::int64_t> values;
};

std::map<std::string, Tally> tally(const Snapshot& s, bool with_tracebacks) {
    std::map<std::string, Tally> out;
    const UnreferencedSearch search = unreferenced_search(s);
    const ObjectIndex first_unreferenced = static_cast<ObjectIndex>(s.object_count() - search.objects);
    for (ObjectIndex i : orphan_objects(s)) {
        Tally& t = out[std::string(s.type_name(s.type[i]))];
        t.type = s.type[i];
        ++t.count;
        t.size += s.size[i];
        if (i >= first_unreferenced) ++t.unreferenced;
        std::string_view v = s.value(i);
        if (!v.empty() && v.size() <= kMaxValueBytes && !(s.flags[i] & format::object_flag::kValueCut)) {
            auto it = t.values.find(std::string(v));
            if (it != t.values.end()) ++it->second;
            else if (t.values.size() < kMaxDistinctValues) t.values.emplace(std::string(v), 1);
        }
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

// The values that are most common (one snapshot) or grew most (two), most first.
std::vector<std::pair<std::string, std::int64_t>> top_values(const Tally& now, const Tally* before) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& [value, n] : now.values) {
        std::int64_t grew = n;
        if (before) {
            auto b = before->values.find(value);
            if (b != before->values.end()) grew -= b->second;
        }
        if (grew > 0) out.emplace_back(value, grew);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (out.size() > kValuesShown) out.resize(kValuesShown);
    return out;
}

OrphanReport find_orphans(const std::vector<const Snapshot*>& snaps, bool all_types) {
    if (snaps.empty() || snaps.size() > 2) throw usage_error("orphans takes one snapshot, or two to see their growth");
    std::map<std::string, Tally> now = tally(*snaps.back(), true);
    std::map<std::string, Tally> before;
    if (snaps.size() == 2) before = tally(*snaps.front(), false);

    OrphanReport report;
    report.search = unreferenced_search(*snaps.back());
    report.growth = snaps.size() == 2;
    for (auto& [type, t] : now) {
        OrphanType row;
        row.stat.type = t.type;
        row.stat.name = type;
        row.stat.count = t.count;
        row.stat.size = t.size;
        row.unreferenced = t.unreferenced;
        auto b = before.find(type);
        row.values = top_values(t, b == before.end() ? nullptr : &b->second);
        if (report.growth) {  // one snapshot has no growth to tell: the diffs stay 0
            row.stat.count_diff =
                static_cast<std::int64_t>(t.count) - (b == before.end() ? 0 : static_cast<std::int64_t>(b->second.count));
            row.stat.size_diff =
                static_cast<std::int64_t>(t.size) - (b == before.end() ? 0 : static_cast<std::int64_t>(b->second.size));
        }
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
        if (!now.count(type)) {  // every orphan of the type went away
            OrphanType row;
            row.stat.name = type;
            row.stat.count_diff = -static_cast<std::int64_t>(t.count);
            row.stat.size_diff = -static_cast<std::int64_t>(t.size);
            report.types.push_back(std::move(row));
        }
    const bool growth = snaps.size() == 2;
    if (growth && !all_types)
        report.types.erase(std::remove_if(report.types.begin(), report.types.end(),
                                          [](const OrphanType& r) { return r.stat.count_diff <= 0 && r.stat.size_diff <= 0; }),
                           report.types.end());
    sort_types(report.types, growth ? TypeOrder::ByGrowth : TypeOrder::BySize,
               [](const OrphanType& r) -> const TypeStat& { return r.stat; });
    return report;
}

}  // namespace heapdiff
