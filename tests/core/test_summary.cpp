// summarize(): totals, and the documented order (count, then size, then name) that keeps
// output independent of hash order; TypeOrder::BySize: size, then count, then name.
#include <doctest/doctest.h>

#include "heapdiff/summary.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::vector<std::string> names(const Snapshot& s, const std::vector<TypeStat>& stats) {
    std::vector<std::string> out;
    for (const TypeStat& t : stats) out.emplace_back(s.type_name(t.type));
    return out;
}

}  // namespace

TEST_CASE("summarize orders types by count, then size, then name") {
    SnapshotBuilder b;
    TypeId beta = b.type("beta", 0xb);     // 3 objects, 30 bytes
    TypeId alpha = b.type("alpha", 0xa);   // 3 objects, 30 bytes: ties beta, wins on name
    TypeId big = b.type("big", 0xc);       // 3 objects, 900 bytes: same count, more bytes
    TypeId many = b.type("many", 0xd);     // 5 objects, 5 bytes: most objects
    b.type("unused", 0xe);                 // no objects: not listed
    TypeId huge = b.type("huge", 0xf);     // 1 object, 10000 bytes
    std::uint64_t address = 0x1000;
    auto add = [&](TypeId t, int count, std::uint64_t size, std::uint8_t flags = 0) {
        for (int i = 0; i < count; ++i) b.object(address += 16, t, size, 1, flags);
    };
    add(beta, 3, 10, format::object_flag::kGcTracked);
    add(many, 5, 1);
    add(alpha, 3, 10);
    add(huge, 1, 10000, format::object_flag::kGcTracked | format::object_flag::kImmortal);
    add(big, 3, 300);
    add(TypeId(), 2, 7);  // objects without a type are listed as "?"
    Snapshot s = b.take();

    Summary sum = summarize(s);
    CHECK(sum.objects == 17);
    CHECK(sum.bytes == 30 + 5 + 30 + 10000 + 900 + 14);
    CHECK(sum.gc_tracked == 4);
    CHECK(names(s, sum.types) == std::vector<std::string>{"many", "big", "alpha", "beta", "?", "huge"});
    CHECK(sum.types[0].count == 5);
    CHECK(sum.types[0].size == 5);
    CHECK(sum.types[4].type == TypeId());

    std::vector<TypeStat> by_size = sum.types;
    sort_types(by_size, TypeOrder::BySize);
    CHECK(names(s, by_size) == std::vector<std::string>{"huge", "big", "alpha", "beta", "?", "many"});
}

TEST_CASE("summarize of an empty snapshot") {
    Snapshot s;
    Summary sum = summarize(s);
    CHECK(sum.objects == 0);
    CHECK(sum.bytes == 0);
    CHECK(sum.types.empty());
}
