#include "heapdiff/diff.h"
#include "heapdiff/memory_account.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "heapdiff/address_index.h"
#include "heapdiff/error.h"
#include "heapdiff/type_lookup.h"

namespace heapdiff {

std::optional<GroupBy> parse_group_by(std::string_view t) {
    if (t == "type") return GroupBy::Type;
    if (t == "module") return GroupBy::Module;
    if (t == "traceback") return GroupBy::Traceback;
    if (t == "filename") return GroupBy::Filename;
    if (t == "lineno") return GroupBy::Lineno;
    return std::nullopt;
}

std::optional<SortBy> parse_sort_by(std::string_view t) {
    if (t == "size") return SortBy::Size;
    if (t == "count") return SortBy::Count;
    if (t == "name") return SortBy::Name;
    return std::nullopt;
}

const char* group_by_name(GroupBy g) {
    switch (g) {
        case GroupBy::Type: return "type";
        case GroupBy::Module: return "module";
        case GroupBy::Traceback: return "traceback";
        case GroupBy::Filename: return "filename";
        case GroupBy::Lineno: return "lineno";
    }
    return "?";
}

void sort_groups(std::vector<GroupDiff>& groups, SortBy sort) {
    auto by_size = [](const GroupDiff& g) {
        return std::make_tuple(std::llabs(g.size_diff), g.size, std::llabs(g.count_diff), g.count);
    };
    auto by_count = [](const GroupDiff& g) {
        return std::make_tuple(std::llabs(g.count_diff), g.count, std::llabs(g.size_diff), g.size);
    };
    std::stable_sort(groups.begin(), groups.end(), [&](const GroupDiff& a, const GroupDiff& b) {
        if (sort == SortBy::Name) return a.key < b.key;
        auto ka = sort == SortBy::Size ? by_size(a) : by_count(a);
        auto kb = sort == SortBy::Size ? by_size(b) : by_count(b);
        if (ka != kb) return ka > kb;
        return a.key < b.key;
    });
}

namespace {

bool glob_match(const std::string& pattern, std::string_view text) {
    return fnmatch(pattern.c_str(), std::string(text).c_str(), 0) == 0;
}

// A type matches a glob by its qualified name or by its short name ("DB").
bool type_matches(const std::vector<std::string>& globs, std::string_view qualified) {
    if (globs.empty()) return true;
    std::string_view short_name = qualified.substr(qualified.rfind('.') + 1);
    for (const std::string& g : globs)
        if (glob_match(g, qualified) || glob_match(g, short_name)) return true;
    return false;
}

// tracemalloc.Filter on the newest frame: kept when it matches an include glob (if
// any) and no exclude glob. Objects or traces without a traceback have no filename.
bool file_allowed(const DiffOptions& o, const std::string* filename) {
    if (!o.include.empty()) {
        if (!filename) return false;
        bool any = false;
        for (const std::string& g : o.include) any = any || glob_match(g, *filename);
        if (!any) return false;
    }
    if (filename)
        for (const std::string& g : o.exclude)
            if (glob_match(g, *filename)) return false;
    return true;
}

// Rows accumulate here across snapshots, keyed by text so that snapshots with
// different string tables meet on the same row.
class GroupTable {
public:
    std::size_t get(const std::string& key, const std::vector<FrameText>* traceback = nullptr) {
        auto it = index_.find(key);
        if (it != index_.end()) return it->second;
        index_.emplace(key, rows_.size());
        GroupDiff g;
        g.key = key;
        if (traceback) g.traceback = *traceback;
        rows_.push_back(std::move(g));
        old_count_.push_back(0);
        old_size_.push_back(0);
        return rows_.size() - 1;
    }
    void add_old(std::size_t g, std::uint64_t count, std::uint64_t size) {
        old_count_[g] += count;
        old_size_[g] += size;
    }
    void add_new(std::size_t g, std::uint64_t count, std::uint64_t size) {
        rows_[g].count += count;
        rows_[g].size += size;
    }
    GroupDiff& row(std::size_t g) { return rows_[g]; }

    std::vector<GroupDiff> finish() {
        std::vector<GroupDiff> out;
        for (std::size_t g = 0; g < rows_.size(); ++g) {
            GroupDiff& r = rows_[g];
            r.count_diff = static_cast<std::int64_t>(r.count) - static_cast<std::int64_t>(old_count_[g]);
            r.size_diff = static_cast<std::int64_t>(r.size) - static_cast<std::int64_t>(old_size_[g]);
            if (r.count || r.count_diff || r.size_diff) out.push_back(std::move(r));
        }
        return out;
    }

private:
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<GroupDiff> rows_;
    std::vector<std::uint64_t> old_count_, old_size_;
};

// Per snapshot: each traceback id's frames as text (most recent call last, cut to the
// newest N), a content hash for object identity, and the group rows it counts in.
struct TracebackView {
    std::vector<std::vector<FrameText>> frames;  // by traceback id; [0] empty
    std::vector<std::uint64_t> hash;
    std::vector<std::vector<std::size_t>> groups;

    TracebackView(const Snapshot& s, const DiffOptions& o, GroupTable* table) {
        const std::size_t n = s.traceback_count();
        frames.resize(n + 1);
        hash.assign(n + 1, 0);
        groups.resize(n + 1);
        for (std::size_t t = 1; t <= n; ++t) {
            std::vector<FrameText>& f = frames[t];
            // Stored most recent first; displayed most recent last.
            for (std::uint64_t i = s.traceback_begin[t]; i-- > s.traceback_begin[t - 1];) {
                const Frame& fr = s.traceback_frames[i];
                f.push_back({std::string(s.strings.get(fr.filename)), fr.lineno});
            }
            std::uint64_t h = 1469598103934665603ull;
            for (const FrameText& fr : f) {
                for (char c : fr.filename) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
                h = (h ^ fr.lineno) * 1099511628211ull;
            }
            hash[t] = h | 1;
            if (o.frames && f.size() > o.frames) f.erase(f.begin(), f.end() - static_cast<std::ptrdiff_t>(o.frames));
            if (table && !f.empty() && file_allowed(o, &f.back().filename)) groups[t] = keys(f, o, *table);
        }
    }

    static std::vector<std::size_t> keys(const std::vector<FrameText>& f, const DiffOptions& o, GroupTable& table) {
        std::vector<std::size_t> out;
        if (o.group_by == GroupBy::Traceback) {
            std::string key;
            for (auto it = f.rbegin(); it != f.rend(); ++it) {
                if (!key.empty()) key += " <- ";
                key += it->filename + ":" + std::to_string(it->lineno);
            }
            out.push_back(table.get(key, &f));
            return out;
        }
        // filename / lineno: the newest frame, or with cumulative every distinct one.
        std::size_t first = o.cumulative ? 0 : f.size() - 1;
        for (std::size_t i = first; i < f.size(); ++i) {
            bool by_file = o.group_by == GroupBy::Filename;
            std::string key = by_file ? f[i].filename : f[i].filename + ":" + std::to_string(f[i].lineno);
            std::vector<FrameText> shown{by_file ? FrameText{f[i].filename, 0} : f[i]};
            std::size_t g = table.get(key, &shown);
            if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
        }
        return out;
    }
};

// Object identity: same address, same type, and the same allocation traceback where
// both snapshots know it. Type names are compared through one shared id space.
class Identity {
public:
    void add(const Snapshot& s, const TracebackView& tb) {
        std::vector<std::uint32_t> type_ids(s.types.size() + 1);
        for (std::size_t t = 1; t <= s.types.size(); ++t) {
            auto [it, fresh] = names_.emplace(std::string(s.type_name(TypeId(static_cast<std::uint32_t>(t)))),
                                              static_cast<std::uint32_t>(names_.size() + 1));
            type_ids[t] = it->second;
        }
        type_ids_.push_back(std::move(type_ids));
        tb_hash_.push_back(&tb.hash);
    }
    bool same(std::size_t sa, const Snapshot& a, ObjectIndex ia, std::size_t sb, const Snapshot& b, ObjectIndex ib) const {
        if (type_ids_[sa][a.type[ia].value] != type_ids_[sb][b.type[ib].value]) return false;
        std::uint64_t ha = (*tb_hash_[sa])[a.traceback[ia].value], hb = (*tb_hash_[sb])[b.traceback[ib].value];
        return !ha || !hb || ha == hb;
    }

private:
    std::unordered_map<std::string, std::uint32_t> names_;
    std::vector<std::vector<std::uint32_t>> type_ids_;
    std::vector<const std::vector<std::uint64_t>*> tb_hash_;
};

// Calls on_match(earlier_object, later_object) for every pair of objects that are the
// same object: one merge pass over both snapshots in address order.
template <typename OnMatch>
void merge_same(const Identity& id, std::size_t se, const Snapshot& earlier, const AddressIndex& ie, std::size_t sl,
                const Snapshot& later, const AddressIndex& il, OnMatch on_match) {
    std::size_t i = 0, j = 0;
    while (i < ie.size() && j < il.size()) {
        const std::uint64_t ae = ie.address_at(i), al = il.address_at(j);
        if (ae < al) {
            ++i;
        } else if (al < ae) {
            ++j;
        } else {
            ObjectIndex oe = ie.objects()[i], ol = il.objects()[j];
            if (id.same(se, earlier, oe, sl, later, ol)) on_match(oe, ol);
            ++i;
            ++j;
        }
    }
}

// Two snapshots need only a bit per object: has it a match in the other snapshot.
void match_flags(const Identity& id, const Snapshot& earlier, const AddressIndex& ie, const Snapshot& later,
                 const AddressIndex& il, std::vector<bool>& earlier_kept, std::vector<bool>& later_found) {
    earlier_kept.assign(earlier.object_count(), false);
    later_found.assign(later.object_count(), false);
    merge_same(id, 0, earlier, ie, 1, later, il, [&](ObjectIndex oe, ObjectIndex ol) {
        earlier_kept[oe] = true;
        later_found[ol] = true;
    });
}

// For each object of `later`, the matching object of `earlier` (or kNoObject).
std::vector<ObjectIndex> match(const Identity& id, std::size_t se, const Snapshot& earlier, const AddressIndex& ie,
                               std::size_t sl, const Snapshot& later, const AddressIndex& il) {
    std::vector<ObjectIndex> out(later.object_count(), kNoObject);
    merge_same(id, se, earlier, ie, sl, later, il, [&](ObjectIndex oe, ObjectIndex ol) { out[ol] = oe; });
    return out;
}

void warn_about_mismatches(const std::vector<const Snapshot*>& snaps, const std::vector<std::string>& names,
                           DiffReport& report) {
    for (std::size_t i = 1; i < snaps.size(); ++i) {
        const Snapshot& a = *snaps[i - 1];
        const Snapshot& b = *snaps[i];
        const Fact* pa = a.fact("pid");
        const Fact* pb = b.fact("pid");
        if (pa && pb && pa->int_value != pb->int_value)
            report.warnings.push_back("warning: " + names[i - 1] + " and " + names[i] +
                                      " come from different processes (pid " + std::to_string(pa->int_value) +
                                      " and " + std::to_string(pb->int_value) +
                                      "): objects are matched by address, so new/freed counts mean little");
        const Fact* va = a.fact("python.version");
        const Fact* vb = b.fact("python.version");
        if (va && vb && va->string_value != vb->string_value)
            report.warnings.push_back("warning: " + names[i - 1] + " and " + names[i] +
                                      " come from different Python versions");
        const Fact* ta = a.fact("time");
        const Fact* tb = b.fact("time");
        if (ta && tb && tb->float_value < ta->float_value)
            report.warnings.push_back("warning: " + names[i] + " was taken before " + names[i - 1] +
                                      ": pass snapshots oldest first, or the diff runs backwards");
    }
}

void require_tracing(const Snapshot& s, const std::string& name) {
    const Fact* f = s.fact("tracemalloc.tracing");
    if (f && f->int_value == 1) return;
    throw usage_error(name +
                " was taken while tracemalloc was not tracing, so it has no allocation tracebacks to group by; "
                "start tracing early in the program (tracemalloc.start(25), or PYTHONTRACEMALLOC=25) and dump again");
}

// --type globs that match no type of any snapshot are a typo, not "no difference".
void require_known_types(const std::vector<const Snapshot*>& snaps, const std::vector<std::string>& names,
                         const std::vector<std::string>& globs) {
    for (const std::string& g : globs) {
        bool known = false;
        for (const Snapshot* s : snaps)
            for (std::uint32_t t = 1; t <= s->types.size() && !known; ++t)
                known = type_matches({g}, s->type_name(TypeId{t}));
        if (!known)
            throw not_found_error("--type " + g + ": no type of that name in " + names.front() +
                                  (snaps.size() > 2 ? " ... " : " or ") + names.back() +
                                  similar_types_clause(*snaps.back(), g));
    }
}

const std::string* newest_file(const TracebackView& tb, TracebackId id) {
    const auto& f = tb.frames[id.value];
    return f.empty() ? nullptr : &f.back().filename;
}

// The row(s) one object counts in, or none when filtered out.
struct ObjectKeys {
    const DiffOptions& o;
    GroupTable& table;
    std::vector<std::size_t> scratch;

    const std::vector<std::size_t>& of(const Snapshot& s, const TracebackView& tb, ObjectIndex i) {
        scratch.clear();
        std::string_view type = s.type_name(s.type[i]);
        if (!type_matches(o.types, type)) return scratch;
        if (!file_allowed(o, newest_file(tb, s.traceback[i]))) return scratch;
        if (groups_traces(o.group_by)) return tb.groups[s.traceback[i].value];
        if (o.group_by == GroupBy::Type) {
            scratch.push_back(table.get(std::string(type)));
        } else {
            TypeId t = s.type[i];
            std::string_view module = t.valid() && t.value <= s.types.size() ? s.strings.get(s.types[t.value - 1].module)
                                                                             : std::string_view();
            scratch.push_back(table.get(module.empty() ? std::string("?") : std::string(module)));
        }
        return scratch;
    }
};


bool has_trace_blocks(const Snapshot& s) {
    const Fact* f = s.fact("probe.trace_blocks");
    return f && f->kind == format::FactKind::Int && f->int_value >= 0;
}

// The three-snapshot form grouped by traces, from every snapshot's traced blocks: a block
// born between the first two (not in the first with the same address, size, domain and
// traceback) that is still in every later one is a survivor. Raw buffers count, not only
// objects the walk found; a block freed and its address reused by another allocation is
// told apart by its size or traceback.
void surviving_blocks(const std::vector<const Snapshot*>& snaps, const std::vector<TracebackView>& tbs,
                      GroupTable& table, DiffReport& report) {
    struct Key {
        std::uint64_t address, size, traceback_hash;
        std::uint32_t domain;
        bool operator==(const Key& o) const {
            return address == o.address && size == o.size && traceback_hash == o.traceback_hash && domain == o.domain;
        }
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return static_cast<std::size_t>((k.address * 0x9E3779B97F4A7C15ull) ^ k.traceback_hash ^ (k.size << 17) ^ k.domain);
        }
    };
    auto key = [&](std::size_t k, const TraceBlock& b) { return Key{b.address, b.size, tbs[k].hash[b.traceback.value], b.domain}; };
    std::unordered_set<Key, KeyHash> first;
    first.reserve(snaps[0]->trace_blocks.size());
    for (const TraceBlock& b : snaps[0]->trace_blocks) first.insert(key(0, b));
    std::vector<const TraceBlock*> born;
    for (const TraceBlock& b : snaps[1]->trace_blocks)
        if (!first.count(key(1, b)) && !tbs[1].groups[b.traceback.value].empty()) born.push_back(&b);
    std::vector<bool> alive(born.size(), true);
    for (std::size_t k = 2; k < snaps.size(); ++k) {
        std::unordered_set<Key, KeyHash> later;
        later.reserve(snaps[k]->trace_blocks.size());
        for (const TraceBlock& b : snaps[k]->trace_blocks) later.insert(key(k, b));
        for (std::size_t n = 0; n < born.size(); ++n)
            if (alive[n] && !later.count(key(1, *born[n]))) alive[n] = false;
    }
    for (std::size_t n = 0; n < born.size(); ++n) {
        if (!alive[n]) {
            ++report.churn_count;
            report.churn_size += born[n]->size;
            continue;
        }
        for (std::size_t g : tbs[1].groups[born[n]->traceback.value]) {
            table.add_new(g, 1, born[n]->size);
            ++table.row(g).new_objects;
        }
    }
}

std::int64_t int_fact_or(const Snapshot& s, std::string_view key, std::int64_t fallback) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::Int ? f->int_value : fallback;
}

std::uint64_t walked_bytes(const Snapshot& s) {
    std::uint64_t total = 0;
    for (std::uint64_t size : s.size) total += size;
    return total;
}

// Memory the walk cannot explain: RSS (or tracemalloc's traced total) grew while the
// walked objects did not grow as much. With a memory map in both snapshots the account
// says where it went (heapdiff memory); without one, what to run next.
void note_unexplained_growth(const Snapshot& first, const Snapshot& last, const std::vector<std::string>& names,
                             bool traces, DiffReport& report) {
    constexpr std::int64_t kMin = 1 << 20;  // below a MiB, allocator noise
    const std::int64_t walked = static_cast<std::int64_t>(walked_bytes(last)) - static_cast<std::int64_t>(walked_bytes(first));
    auto mib = [](std::int64_t b) {
        return b < (1 << 20) ? std::to_string((b + 512) >> 10) + " KiB" : std::to_string((b + (1 << 19)) >> 20) + " MiB";
    };
    const MemoryAccount before = memory_account(first), after = memory_account(last);
    const bool accounted = before.available && after.available;
    auto check = [&](const char* what, std::string_view key) {
        const std::int64_t a = int_fact_or(first, key, -1), b = int_fact_or(last, key, -1);
        if (a < 0 || b < 0 || b - a < kMin || b - a < 2 * std::max<std::int64_t>(walked, 0)) return;
        std::string note = std::string(what) + " grew by " + mib(b - a) + " while the walked objects grew by " +
                           (walked >= 0 ? mib(walked) : "-" + mib(-walked)) + ": memory the objects do not explain.";
        if (accounted && key == "process.rss") {
            // The account names the category that grew and the step that fits it.
            for (const MemoryFinding& f : memory_findings({before, after}, {names.front(), names.back()}))
                if (f.kind != "objects_grew" && f.kind != "no_growth") note += " " + f.text;
            note += " (heapdiff memory " + names.front() + " " + names.back() + ")";
            report.notes.push_back(note);
            return;
        }
        const bool tracing = int_fact_or(last, "tracemalloc.tracing", 0) > 0;
        if (tracing && !traces) note += " See where it was allocated: --group-by lineno.";
        else if (!tracing) note += " Take the snapshots with tracemalloc on (dump(tracebacks=True) after tracemalloc.start()) to see where.";
        note += " Objects nothing refers to: heapdiff orphans A B.";
        report.notes.push_back(note);
    };
    check("RSS", "process.rss");
    if (!traces) check("tracemalloc's traced memory", "tracemalloc.traced");
    const Fact* searched = last.fact("probe.unreferenced_objects");
    if (!traces && report.groups.empty() && (!searched || searched->int_value < 0))
        report.notes.push_back("unreferenced objects not searched in the newest snapshot: objects nothing refers to "
                               "are not counted, so no difference may hide a C reference leak (docs/PROBE.md, "
                               "\"Objects nothing refers to\")");
}

}  // namespace

DiffReport diff_snapshots(const std::vector<const Snapshot*>& snaps, const std::vector<std::string>& names,
                          const DiffOptions& o) {
    if (snaps.size() < 2) throw usage_error("diff needs at least two snapshots");
    if (names.size() != snaps.size()) throw Error("internal error: one name per snapshot");
    DiffReport report;
    report.group_by = o.group_by;
    report.snapshots = snaps.size();
    report.names = names;
    warn_about_mismatches(snaps, names, report);
    const bool traces = groups_traces(o.group_by);
    const bool three = snaps.size() >= 3;
    if (traces)
        for (std::size_t i = three ? 1 : 0; i < snaps.size(); ++i) require_tracing(*snaps[i], names[i]);
    require_known_types(snaps, names, o.types);

    GroupTable table;
    std::vector<TracebackView> tbs;
    tbs.reserve(snaps.size());
    // Trace rows are made only when grouping by traces: object rows never use them.
    for (const Snapshot* s : snaps) tbs.emplace_back(*s, o, traces ? &table : nullptr);
    Identity identity;
    for (std::size_t i = 0; i < snaps.size(); ++i) identity.add(*snaps[i], tbs[i]);
    std::vector<AddressIndex> indexes;
    indexes.reserve(snaps.size());
    for (const Snapshot* s : snaps) indexes.emplace_back(*s);
    ObjectKeys keys{o, table, {}};

    if (!three) {
        const Snapshot& a = *snaps[0];
        const Snapshot& b = *snaps[1];
        std::vector<bool> a_kept, b_found;
        match_flags(identity, a, indexes[0], b, indexes[1], a_kept, b_found);
        if (traces) {
            // Every traced block, from tracemalloc's statistics; the walked objects only
            // tell how much of each row they explain.
            for (std::size_t k = 0; k < 2; ++k)
                for (const TraceStat& t : snaps[k]->trace_stats)
                    for (std::size_t g : tbs[k].groups[t.traceback.value]) {
                        if (k == 0) table.add_old(g, t.count, t.size);
                        else table.add_new(g, t.count, t.size);
                    }
            for (ObjectIndex i = 0; i < b.object_count(); ++i)
                for (std::size_t g : keys.of(b, tbs[1], i)) table.row(g).walked_size += b.size[i];
        } else {
            for (ObjectIndex i = 0; i < a.object_count(); ++i)
                for (std::size_t g : keys.of(a, tbs[0], i)) {
                    table.add_old(g, 1, a.size[i]);
                    if (!a_kept[i]) ++table.row(g).freed_objects;
                }
            for (ObjectIndex i = 0; i < b.object_count(); ++i)
                for (std::size_t g : keys.of(b, tbs[1], i)) {
                    table.add_new(g, 1, b.size[i]);
                    if (!b_found[i]) ++table.row(g).new_objects;
                }
        }
        report.groups = table.finish();
    } else if (traces && std::all_of(snaps.begin(), snaps.end(), [](const Snapshot* s) { return has_trace_blocks(*s); })) {
        surviving_blocks(snaps, tbs, table, report);
        report.groups = table.finish();
    } else {
        if (traces)
            report.notes.push_back("the snapshots have no list of traced blocks (taken before CPython 3.12 or "
                                   "heapdiff 0.1's format 1.1, or the first without tracemalloc): only objects the "
                                   "walk found are followed, not raw buffers");
        // The three-snapshot technique: born between the first two, alive in every later
        // one. Each born object is followed forward snapshot by snapshot.
        const Snapshot& first = *snaps[0];
        const Snapshot& second = *snaps[1];
        std::vector<ObjectIndex> in_first = match(identity, 0, first, indexes[0], 1, second, indexes[1]);
        std::vector<ObjectIndex> current;  // the born object's index in the latest snapshot followed
        std::vector<ObjectIndex> born;
        for (ObjectIndex i = 0; i < second.object_count(); ++i)
            if (in_first[i] == kNoObject) born.push_back(i);
        current = born;
        for (std::size_t k = 2; k < snaps.size(); ++k) {
            std::vector<ObjectIndex> back = match(identity, k - 1, *snaps[k - 1], indexes[k - 1], k, *snaps[k], indexes[k]);
            std::vector<ObjectIndex> forward(snaps[k - 1]->object_count(), kNoObject);
            for (ObjectIndex j = 0; j < back.size(); ++j)
                if (back[j] != kNoObject) forward[back[j]] = j;
            for (ObjectIndex& c : current)
                if (c != kNoObject) c = forward[c];
        }
        const Snapshot& last = *snaps.back();
        for (std::size_t n = 0; n < born.size(); ++n) {
            if (current[n] == kNoObject) {
                // Churn is counted among the objects the rows look at: one that --type,
                // --include or --exclude leaves out (or, grouped by traces, one without a
                // traceback) would not have been a row had it survived.
                if (keys.of(second, tbs[1], born[n]).empty()) continue;
                ++report.churn_count;
                report.churn_size += second.size[born[n]];
                continue;
            }
            for (std::size_t g : keys.of(last, tbs.back(), current[n])) {
                table.add_new(g, 1, last.size[current[n]]);
                ++table.row(g).new_objects;
                if (traces) table.row(g).walked_size += last.size[current[n]];
            }
        }
        report.groups = table.finish();
    }
    sort_groups(report.groups, o.sort);
    note_unexplained_growth(*snaps.front(), *snaps.back(), names, traces, report);
    if (o.min_size) {  // after the notes: they speak of all the memory, not only the rows shown
        auto small = [&](const GroupDiff& g) {
            return static_cast<std::uint64_t>(g.size_diff < 0 ? -g.size_diff : g.size_diff) < o.min_size;
        };
        report.groups.erase(std::remove_if(report.groups.begin(), report.groups.end(), small), report.groups.end());
    }
    return report;
}

}  // namespace heapdiff
