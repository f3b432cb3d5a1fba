// sort_types(): the one ordering of type rows, on hand-made rows whose keys tie in every
// way the documented tie-breaks (type_stat.h, docs/JSON.md "A type row") must settle.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "heapdiff/type_stat.h"

using namespace heapdiff;

namespace {

TypeStat row(const char* name, std::uint64_t count, std::uint64_t size, std::int64_t count_diff = 0,
             std::int64_t size_diff = 0, std::uint64_t retained = 0) {
    TypeStat t;
    t.name = name;
    t.count = count;
    t.size = size;
    t.count_diff = count_diff;
    t.size_diff = size_diff;
    t.retained = retained;
    return t;
}

std::vector<std::string> sorted(std::vector<TypeStat> rows, TypeOrder order) {
    sort_types(rows, order);
    std::vector<std::string> out;
    for (const TypeStat& t : rows) out.push_back(t.name);
    return out;
}

// Counts and sizes that tie pairwise: "b" and "a" tie on both (name decides), "c" ties
// them on count but not on size, "d" ties "c" on size but not on count.
const std::vector<TypeStat> kRows = {
    row("b", 3, 30, +1, -50, 100), row("a", 3, 30, -1, +50, 100), row("c", 3, 90, 0, 0, 100),
    row("d", 1, 90, +5, 0, 500),   row("e", 7, 10, -5, +10, 0),
};

}  // namespace

TEST_CASE("sort_types by count: count, then size, then name") {
    CHECK(sorted(kRows, TypeOrder::ByCount) == std::vector<std::string>{"e", "c", "a", "b", "d"});
}

TEST_CASE("sort_types by size: size, then count, then name") {
    CHECK(sorted(kRows, TypeOrder::BySize) == std::vector<std::string>{"c", "d", "a", "b", "e"});
}

TEST_CASE("sort_types by retained: retained, then size, then count, then name") {
    CHECK(sorted(kRows, TypeOrder::ByRetained) == std::vector<std::string>{"d", "c", "a", "b", "e"});
}

TEST_CASE("sort_types by growth: |size diff|, |count diff|, size, count, name; shrinking counts as much as growing") {
    // a and b: |size diff| 50 and |count diff| 1 each, same size and count: the name.
    // d and e: |size diff| 0 and 10; e first. d (|count diff| 5) before c (0).
    CHECK(sorted(kRows, TypeOrder::ByGrowth) == std::vector<std::string>{"a", "b", "e", "d", "c"});
    std::vector<TypeStat> extreme = {row("min", 0, 0, 0, INT64_MIN), row("max", 0, 0, 0, INT64_MAX)};
    CHECK(sorted(extreme, TypeOrder::ByGrowth) == std::vector<std::string>{"min", "max"});  // no overflow
}

TEST_CASE("sort_types keeps rows equal in every key (two classes of one name) in their incoming order") {
    TypeStat first = row("dup", 2, 20), second = row("dup", 2, 20);
    first.type = TypeId(7);
    second.type = TypeId(3);
    std::vector<TypeStat> rows = {row("z", 1, 1), first, second};
    sort_types(rows, TypeOrder::ByCount);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].type == TypeId(7));
    CHECK(rows[1].type == TypeId(3));
    CHECK(rows[2].name == "z");
}

TEST_CASE("sort_types on rows that hold a TypeStat with extras") {
    struct WithExtra {
        TypeStat stat;
        int extra = 0;
    };
    std::vector<WithExtra> rows = {{row("small", 9, 1), 1}, {row("big", 1, 900), 2}};
    sort_types(rows, TypeOrder::BySize, [](const WithExtra& r) -> const TypeStat& { return r.stat; });
    CHECK(rows[0].extra == 2);
    CHECK(rows[1].extra == 1);
}
