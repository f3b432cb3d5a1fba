// find_orphans on hand-made snapshots: objects found by the allocator scan (the file's last
// ones, per the probe.unreferenced_* facts), the values of small orphans, growth only by
// default with two snapshots, and an honest "not searched".
#include <doctest/doctest.h>

#include "heapdiff/orphans.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

// A module holding a dict holding one str; `ints` leaked ints (refcount 1, no referrer)
// with the given values, the last `found` of the objects found by the allocator.
Snapshot heap(const std::vector<std::string>& int_values, std::int64_t found) {
    SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0x10), dict = b.type("builtins.dict", 0x20);
    TypeId str = b.type("builtins.str", 0x30), integer = b.type("builtins.int", 0x40);
    b.object(0x1000, module, 72, 1, 0, {}, "app");
    b.edge(0x2000, EdgeKind::Field);
    b.object(0x2000, dict, 232, 1, 0, {}, "");
    b.edge(0x3000, EdgeKind::DictValue);
    b.object(0x3000, str, 50, 1, 0, {}, "kept");
    std::uint64_t address = 0x9000;
    for (const std::string& v : int_values) b.object(address += 0x20, integer, 28, 1, 0, {}, v);
    Snapshot& s = b.snapshot();
    s.module_roots = {{0x1000, b.string("app")}};
    if (found >= 0) {
        b.fact("probe.unreferenced_search", std::string("pymalloc's blocks"));
        b.fact("probe.unreferenced_objects", found);
    } else {
        b.fact("probe.unreferenced_search", std::string("not searched: CPython before 3.12 ..."));
        b.fact("probe.unreferenced_objects", std::int64_t(-1));
    }
    return std::move(s);
}

}  // namespace

TEST_CASE("orphans found by the allocator are counted, with their most common values") {
    Snapshot s = heap({"100030", "100031", "100030", "100030", "7"}, 5);
    OrphanReport r = find_orphans({&s});
    REQUIRE(r.types.size() == 1);
    CHECK(r.types[0].stat.name == "builtins.int");
    CHECK(r.types[0].stat.count == 5);
    CHECK(r.types[0].stat.count_diff == 0);  // one snapshot: no growth to tell
    CHECK(r.types[0].unreferenced == 5);
    REQUIRE(r.types[0].values.size() == 3);
    CHECK(r.types[0].values[0] == std::make_pair(std::string("100030"), std::int64_t(3)));
    CHECK(r.search.searched);
    CHECK(r.search.objects == 5);
}

TEST_CASE("two snapshots: only the types that grew, and the values that grew") {
    Snapshot a = heap({"100030", "5"}, 2);
    Snapshot b = heap({"100030", "100030", "100030", "5"}, 4);
    OrphanReport r = find_orphans({&a, &b});
    REQUIRE(r.types.size() == 1);
    CHECK(r.types[0].stat.count_diff == 2);
    REQUIRE(r.types[0].values.size() == 1);
    CHECK(r.types[0].values[0] == std::make_pair(std::string("100030"), std::int64_t(2)));
    // The same heap twice: nothing grew, so no row unless every type is asked for.
    CHECK(find_orphans({&a, &a}).types.empty());
    CHECK(find_orphans({&a, &a}, true).types.size() == 1);
}

TEST_CASE("a snapshot whose allocator was not searched says so") {
    Snapshot s = heap({"1"}, -1);
    OrphanReport r = find_orphans({&s});
    CHECK_FALSE(r.search.searched);
    CHECK(r.search.where.rfind("not searched:", 0) == 0);
    CHECK(r.types.size() == 1);  // reached through nothing, yet written: counted, not "found"
    CHECK(r.types[0].unreferenced == 0);
}
