// `heapdiff top`: the biggest retainers (what would be freed if each went away, from the
// dominator tree), the largest objects, or the types that hold the most.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "heapdiff/heap_graph.h"
#include "heapdiff/type_stat.h"

namespace heapdiff {

enum class TopMeasure { Retained, Size, Count };
enum class TopGrouping { Object, Type };

std::optional<TopMeasure> parse_top_measure(std::string_view text);  // "retained", "size", "count"
const char* top_measure_name(TopMeasure measure);
const char* top_grouping_name(TopGrouping grouping);                  // "object", "type"

struct TopObject {
    ObjectIndex object = kNoObject;
    std::uint64_t retained = 0;  // measured by Retained only; 0 otherwise
};

struct TopReport {
    TopMeasure by = TopMeasure::Retained;
    TopGrouping group_by = TopGrouping::Object;
    std::uint64_t heap_objects = 0;  // objects in the snapshot
    // Object rows: largest first, ties by address. Type rows: TypeOrder::ByRetained,
    // BySize or ByCount as `by` says, every row's `retained` set. Only the one that
    // `group_by` names is filled, cut to the limit.
    std::vector<TopObject> objects;
    std::vector<TypeStat> types;
};

// The `limit` objects (0: all) with the largest `measure` (one value per object: sizes,
// retained sizes), largest first, ties by address. The object rows of top_report, for a
// caller that has the measure already.
std::vector<ObjectIndex> largest_objects(const Snapshot& snapshot, const std::vector<std::uint64_t>& measure,
                                         std::size_t limit);

// Count measures types only: with TopGrouping::Object it throws a usage error.
// `limit` rows at most (0: all).
TopReport top_report(const HeapGraph& graph, TopMeasure by, TopGrouping group_by, std::size_t limit);

}  // namespace heapdiff
