// One per-type statistic and one ordering, for every command that lists types
// (summary, orphans, garbage, top, retained, and the types a leak suspect holds).
// A command that knows more per type holds a TypeStat and its extras beside it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

struct TypeStat {
    TypeId type;       // in the (newest) snapshot; invalid for a type only an older snapshot has
    std::string name;  // qualified name: a type's identity across snapshots, and the last tie-break
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::int64_t count_diff = 0;  // with two snapshots: newer minus older; 0 with one
    std::int64_t size_diff = 0;
    // What its instances retain, counted once (retained_by_type); 0 where not computed.
    std::uint64_t retained = 0;
};

// The one ordering of type rows. Every key is descending except the name, which is
// ascending; rows equal in every key (two classes of the same name) keep their
// incoming order, so the result never depends on hash order:
//   ByCount     count, size, name
//   BySize      size, count, name
//   ByRetained  retained, size, count, name
//   ByGrowth    |size_diff|, |count_diff|, size, count, name   (shrinking shows too, as in
//               tracemalloc's compare_to)
enum class TypeOrder { ByCount, BySize, ByRetained, ByGrowth };

// True when `a` comes before `b` in `order` (a strict weak ordering).
bool type_before(const TypeStat& a, const TypeStat& b, TypeOrder order);

void sort_types(std::vector<TypeStat>& rows, TypeOrder order);

// Rows that hold a TypeStat with extras: `stat_of(row)` gives the row's TypeStat.
template <class Row, class StatOf>
void sort_types(std::vector<Row>& rows, TypeOrder order, StatOf stat_of) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const Row& a, const Row& b) { return type_before(stat_of(a), stat_of(b), order); });
}

// Per type of one snapshot, in type-id order, one row per TypeId (the unknown type 0
// included): `type` and `name` set, counts zero. Commands tally objects into it by
// `snapshot.type[i].value`, then drop_empty_types().
std::vector<TypeStat> type_table(const Snapshot& snapshot);

// The rows with no object counted and no growth left out.
void drop_empty_types(std::vector<TypeStat>& rows);

}  // namespace heapdiff
