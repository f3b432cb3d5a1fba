// What grew between snapshots, grouped like tracemalloc's Snapshot.compare_to: by
// object type or defining module (from the walked objects), or by allocation
// traceback, file or line (from tracemalloc's statistics of every traced block, so
// memory no walk can reach still shows up at the line that allocated it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

enum class GroupBy { Type, Module, Traceback, Filename, Lineno };
enum class SortBy { Size, Count, Name };

std::optional<GroupBy> parse_group_by(std::string_view text);
std::optional<SortBy> parse_sort_by(std::string_view text);
const char* group_by_name(GroupBy g);
inline bool groups_traces(GroupBy g) { return g == GroupBy::Traceback || g == GroupBy::Filename || g == GroupBy::Lineno; }

struct FrameText {
    std::string filename;
    std::uint32_t lineno = 0;
    friend bool operator==(const FrameText& a, const FrameText& b) {
        return a.lineno == b.lineno && a.filename == b.filename;
    }
};

struct DiffOptions {
    GroupBy group_by = GroupBy::Type;
    SortBy sort = SortBy::Size;
    std::size_t frames = 0;            // keep the N most recent frames of each traceback (0: all)
    bool cumulative = false;           // filename/lineno: count a block under every frame, not only the newest
    std::vector<std::string> types;    // fnmatch globs on the qualified or short type name (object groups)
    std::vector<std::string> include;  // fnmatch globs on the allocating file (newest frame), like tracemalloc.Filter
    std::vector<std::string> exclude;
    std::uint64_t min_size = 0;        // leave out rows whose size changed by fewer bytes (0: none)
};

// One row. Sizes and counts are those of the newest snapshot; *_diff are newest minus
// oldest. With three or more snapshots, a row counts the survivors: objects born
// between the first two snapshots that are still alive in every later one.
struct GroupDiff {
    std::string key;
    std::vector<FrameText> traceback;  // traceback/filename/lineno rows; most recent call last
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::int64_t count_diff = 0;
    std::int64_t size_diff = 0;
    std::uint64_t new_objects = 0;    // object rows: not in the older snapshot (same address, type, traceback)
    std::uint64_t freed_objects = 0;  // object rows: in the older snapshot only
    std::uint64_t walked_size = 0;    // trace rows: bytes of walked objects allocated there (the explained share)
};

struct DiffReport {
    GroupBy group_by = GroupBy::Type;
    std::size_t snapshots = 0;
    std::vector<std::string> names;     // the snapshots as the caller named them, oldest first
    std::vector<GroupDiff> groups;      // sorted as DiffOptions::sort says
    std::vector<std::string> warnings;  // one line each: different processes, wrong time order ...
    std::vector<std::string> notes;     // memory the rows do not explain, and what to run next
    // Three or more snapshots: objects born between the first two (and selected by the
    // filters) that are gone by a later one.
    std::uint64_t churn_count = 0;
    std::uint64_t churn_size = 0;
};

// snapshots oldest first, at least two; object groups need them loaded with values not
// necessarily, edges not at all. Throws Error when a trace grouping is asked of a
// snapshot taken without tracemalloc, naming the snapshot and how to turn it on.
DiffReport diff_snapshots(const std::vector<const Snapshot*>& snapshots, const std::vector<std::string>& names,
                          const DiffOptions& options);

// The fixed order of rows: by |size diff|, size, |count diff|, count, key (all
// descending but the key), as tracemalloc sorts; or by count first; or by key.
void sort_groups(std::vector<GroupDiff>& groups, SortBy sort);

}  // namespace heapdiff
