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

TEST_CASE("suspects: new objects only C code holds are one orphan suspect per type, with what they hold") {
    auto heap = [](bool grown) {
        test::SnapshotBuilder b;
        TypeId module = b.type("builtins.module", 0xf000), dict = b.type("builtins.dict", 0xf100),
               bytes = b.type("builtins.bytes", 0xf200), str = b.type("builtins.str", 0xf300), leaked = b.type("ext.Handle", 0xf800, format::type_flag::kHeapType);
        b.object(0x100, module, 72, 1, 0, {}, "app");
        b.edge(0x200, EdgeKind::Field, b.string("__dict__").value);
        b.object(0x200, dict, 232, 1);
        if (grown) {
            b.edge(0x210, EdgeKind::DictKey);
            b.edge(0x300, EdgeKind::DictValue, 0);
            b.object(0x210, str, 50, 1, 0, {}, "x");
            b.object(0x300, bytes, 500, 1);  // a new object held the usual way
            const StringId buffer = b.string("buffer");
            for (std::uint64_t k = 0; k < 4; ++k) {
                // refcount 1, no referrer: a reference created in C and never released
                b.object(0xa00 + 0x100 * k, leaked, 48, 1, format::object_flag::kGcTracked);
                b.edge(0xa80 + 0x100 * k, EdgeKind::Attribute, buffer.value);
                b.object(0xa80 + 0x100 * k, bytes, 1000, 1);
            }
        }
        b.snapshot().module_roots.push_back({0x100, b.string("app")});
        return b.take();
    };
    Snapshot a = heap(false), b = heap(true);
    HeapGraph g(b, true);
    RetainedSizes sizes = retained_sizes(g);
    SuspectsReport r = find_suspects(g, sizes, {&a});
    REQUIRE(!r.suspects.empty());
    const Suspect& s = r.suspects[0];
    CHECK(s.kind == SuspectKind::Orphan);
    CHECK(b.type_name(s.type) == "ext.Handle");
    CHECK(s.count == 4);
    CHECK(s.retained == 4 * (48 + 1000));
    CHECK(s.holder == kNoObject);
    CHECK(s.chain == std::vector<ObjectIndex>{s.representative});
    REQUIRE(!s.held.empty());
    CHECK(b.type_name(s.held[0].type) == "builtins.bytes");
    CHECK(s.held[0].count == 4);
    REQUIRE(r.suspects.size() == 2);  // and the new bytes in the module's dict, held as usual
    CHECK(r.suspects[1].kind == SuspectKind::Held);
    CHECK(b.type_name(r.suspects[1].type) == "builtins.bytes");
}
