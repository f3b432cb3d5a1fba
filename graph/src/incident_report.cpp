#include "heapdiff/incident_report.h"

#include <algorithm>
#include <unordered_map>

#include "heapdiff/error.h"
#include "heapdiff/reader.h"
#include "heapdiff/summary.h"
#include "heapdiff/top.h"

namespace heapdiff {
namespace {

SnapshotPoint point_of(const std::string& path, const Snapshot& s, const Summary& sum) {
    return {path, snapshot_facts(s), sum.objects, sum.bytes};
}

// Per type name (types are per snapshot ids: names are what the snapshots share), one
// count and size per snapshot; then the types whose size (or count) grew most, first to last.
std::vector<TypeTrend> growing_types(const std::vector<Summary>& sums, const std::vector<const Snapshot*>& snaps,
                                     std::size_t keep, bool by_count) {
    std::unordered_map<std::string, std::uint32_t> row_of;
    std::vector<TypeTrend> rows;
    const std::size_t n = sums.size();
    for (std::size_t k = 0; k < n; ++k)
        for (const TypeStat& t : sums[k].types) {
            auto [it, fresh] = row_of.emplace(snaps[k]->type_name(t.type), static_cast<std::uint32_t>(rows.size()));
            if (fresh) rows.push_back({it->first, std::vector<std::uint64_t>(n), std::vector<std::uint64_t>(n)});
            rows[it->second].count[k] = t.count;
            rows[it->second].size[k] = t.size;
        }
    auto growth = [&](const TypeTrend& t) {
        const std::vector<std::uint64_t>& v = by_count ? t.count : t.size;
        return static_cast<std::int64_t>(v.back()) - static_cast<std::int64_t>(n > 1 ? v.front() : 0);
    };
    const std::size_t shown = std::min(keep, rows.size());
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(),
                      [&](const TypeTrend& a, const TypeTrend& b) {
                          if (growth(a) != growth(b)) return growth(a) > growth(b);
                          return a.type < b.type;
                      });
    rows.resize(shown);
    // A type that did not grow is no trend (with two or more snapshots).
    if (n > 1) rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const TypeTrend& t) { return growth(t) <= 0; }), rows.end());
    return rows;
}

std::vector<GroupDiff> single_snapshot_types(const Snapshot& s, const Summary& sum) {
    std::vector<GroupDiff> rows;
    rows.reserve(sum.types.size());
    for (const TypeStat& t : sum.types) {
        GroupDiff g;
        g.key = s.type_name(t.type);
        g.count = t.count;
        g.size = t.size;
        rows.push_back(std::move(g));
    }
    sort_groups(rows, SortBy::Size);
    return rows;
}

template <typename Rows>
std::uint64_t cut(Rows& rows, std::size_t keep) {
    const std::uint64_t all = rows.size();
    if (rows.size() > keep) rows.resize(keep);
    return all;
}

}  // namespace

IncidentReport build_incident_report(const std::vector<std::string>& paths, const IncidentOptions& options) {
    if (paths.empty()) throw usage_error("report: name at least one snapshot");
    IncidentReport r;
    // The oldest and the newest whole (orphans' growth needs both with references), the
    // ones between only with their objects: they are points of the trend.
    LoadOptions objects_only;  // flags stay: summarize() counts the gc-tracked ones
    objects_only.edges = objects_only.values = objects_only.refcounts = false;
    std::vector<std::unique_ptr<Snapshot>> owned;
    for (std::size_t k = 0; k + 1 < paths.size(); ++k)
        owned.push_back(std::make_unique<Snapshot>(read_snapshot(paths[k], k == 0 ? LoadOptions{} : objects_only)));
    r.last = std::make_unique<Snapshot>(read_snapshot(paths.back()));
    std::vector<const Snapshot*> all;
    for (const auto& s : owned) all.push_back(s.get());
    all.push_back(r.last.get());

    std::vector<Summary> sums;
    for (std::size_t k = 0; k < all.size(); ++k) {
        sums.push_back(summarize(*all[k]));
        r.points.push_back(point_of(paths[k], *all[k], sums.back()));
        r.memory.push_back(memory_account(*all[k]));
    }
    r.memory_findings = memory_findings(r.memory, paths);
    r.trends = growing_types(sums, all, options.trend_types, false);
    r.count_trends = growing_types(sums, all, options.trend_types, true);

    r.graph = std::make_unique<HeapGraph>(*r.last, true);
    r.names = std::make_unique<ObjectNames>(*r.graph);
    r.sizes = retained_sizes(*r.graph);

    std::vector<const Snapshot*> earlier(all.begin(), all.end() - 1);
    LeakSuspectsOptions suspect_options;
    suspect_options.shown = options.suspects;
    suspect_options.first_path = paths.front();
    suspect_options.last_path = paths.back();
    r.suspects = leak_suspects_report(*r.graph, r.sizes, *r.names, earlier, suspect_options);

    const std::vector<const Snapshot*> ends = {all.front(), all.back()};
    const std::vector<std::string> end_names = {paths.front(), paths.back()};
    if (all.size() > 1) {
        r.types = diff_snapshots(ends, end_names, DiffOptions{}).groups;
    } else {
        r.types = single_snapshot_types(*r.last, sums.back());
    }
    r.type_count = cut(r.types, options.rows);

    // Allocation sites need tracemalloc in the snapshots compared; say so rather than fail.
    try {
        DiffOptions by_site;
        by_site.group_by = GroupBy::Traceback;
        if (all.size() > 1) {
            r.sites = diff_snapshots(ends, end_names, by_site).groups;
        } else {
            const std::vector<const Snapshot*> one = {r.last.get(), r.last.get()};
            // One snapshot: its sites against themselves, so every diff is zero and the
            // rows are the sites' sizes, sorted the same way.
            r.sites = diff_snapshots(one, {paths.back(), paths.back()}, by_site).groups;
        }
    } catch (const Error& e) {
        r.sites_note = e.what();
    }
    r.site_count = cut(r.sites, options.rows);

    r.retainers = largest_objects(*r.last, r.sizes.retained, options.rows);
    r.garbage = find_garbage(*r.graph);
    cut(r.garbage.types, options.rows);
    r.orphans = find_orphans(all.size() > 1 ? ends : std::vector<const Snapshot*>{r.last.get()});
    cut(r.orphans.types, options.rows);
    return r;
}

}  // namespace heapdiff
