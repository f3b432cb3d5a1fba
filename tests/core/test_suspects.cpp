// Leak suspects on hand-made heaps: what counts as born, and how members cluster.
#include <doctest/doctest.h>

#include "heapdiff/retained.h"
#include "heapdiff/suspects.h"
#include "snapshot_builder.h"

using namespace heapdiff;

namespace {

// A module whose dict holds `cache` (a dict) keyed by ints; in the second snapshot the
// cache holds three new Records, one keyed by an immortal int the first snapshot did not
// list (3.15 allocates the ints up to 1024 statically).
Snapshot cache_heap(bool grown) {
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0xf000), dict = b.type("builtins.dict", 0xf100),
           str = b.type("builtins.str", 0xf300), integer = b.type("builtins.int", 0xf400),
           record = b.type("app.Record", 0xf800, format::type_flag::kHeapType);
    const StringId dict_field = b.string("__dict__");
    b.object(0x100, module, 72, 2, 0, {}, "app");
    b.edge(0x200, EdgeKind::Field, dict_field.value);
    b.object(0x200, dict, 232, 1);
    b.edge(0x210, EdgeKind::DictKey);
    b.edge(0x300, EdgeKind::DictValue, 0);
    b.object(0x210, str, 55, 1, 0, {}, "CACHE");
    b.object(0x300, dict, 232, 1);
    if (grown) {
        const std::uint64_t keys[] = {0xa00, 0xa10, 0xa20}, records[] = {0xb00, 0xb10, 0xb20};
        for (int k = 0; k < 3; ++k) {
            b.edge(keys[k], EdgeKind::DictKey);
            b.edge(records[k], EdgeKind::DictValue, static_cast<std::uint64_t>(k));
        }
        b.object(0xa00, integer, 28, 1, format::object_flag::kImmortal, {}, "1000");
        b.object(0xa10, integer, 28, 1, 0, {}, "5000");
        b.object(0xa20, integer, 28, 1, 0, {}, "5001");
        for (std::uint64_t r : records) b.object(r, record, 400, 1, format::object_flag::kGcTracked);
    }
    b.snapshot().module_roots.push_back({0x100, b.string("app")});
    return b.take();
}

}  // namespace

TEST_CASE("suspects: new objects held one way are one suspect; immortal objects are never born") {
    Snapshot a = cache_heap(false), b = cache_heap(true);
    HeapGraph g(b, true);
    RetainedSizes sizes = retained_sizes(g);
    SuspectsReport r = find_suspects(g, sizes, {&a});
    CHECK(r.candidates == 5);  // three Records and two mortal int keys; not the immortal 1000
    REQUIRE(r.suspects.size() == 1);
    const Suspect& s = r.suspects[0];
    CHECK(s.kind == SuspectKind::Held);
    CHECK(b.type_name(s.type) == "app.Record");
    CHECK(s.count == 3);
    CHECK(s.holder == g.index().find(0x300));
    std::uint64_t ints = 0;
    for (const HeldType& h : s.held)
        if (b.type_name(h.type) == "builtins.int") ints = h.count;
    CHECK(ints == 2);  // the born keys fold into their entries' suspect
}
