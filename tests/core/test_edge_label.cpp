// edge_label(): the text shown for each EdgeKind and its argument.
#include <doctest/doctest.h>

#include "heapdiff/edge_label.h"
#include "heapdiff/address_index.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

TEST_CASE("edge_label text for each kind") {
    SnapshotBuilder b;
    TypeId t = b.type("builtins.object", 0xa000);
    StringId value = b.string("value");
    StringId db = b.string("db");
    StringId f_back = b.string("f_back");
    b.object(0x1000, t, 64, 1, 0, {}, "<source>");
    b.edge(0x2000, EdgeKind::Unknown);          // 0
    b.edge(0x2000, EdgeKind::DictKey);          // 1
    b.edge(0x3000, EdgeKind::DictValue, 1);     // 2: its key is edge 1
    b.edge(0x3000, EdgeKind::Index, 7);         // 3
    b.edge(0x3000, EdgeKind::Attribute, value.value);
    b.edge(0x3000, EdgeKind::InstanceDict);     // 5
    b.edge(0xa000, EdgeKind::Class);            // 6
    b.edge(0x3000, EdgeKind::FrameLocal, db.value);
    b.edge(0x3000, EdgeKind::Field, f_back.value);
    b.edge(0x3000, EdgeKind::SetItem);          // 9
    b.edge(0x3000, EdgeKind::DictValue, 0);     // 10: its "key" edge 0 leads to the key too
    b.edge(0x3000, EdgeKind::DictValue, 99);    // 11: no such sibling
    b.edge(0x3000, EdgeKind::DictKey);          // 12
    b.edge(0x3000, EdgeKind::DictValue, 12);    // 13: its key has an empty display value
    b.edge(0x9999, EdgeKind::DictKey);          // 14: a key outside the snapshot
    b.edge(0x3000, EdgeKind::DictValue, 14);    // 15
    b.object(0x2000, b.type("builtins.str", 0xa001), 50, 1, 0, {}, "name");
    b.object(0x3000, t, 50, 1, 0, {}, "");
    Snapshot s = b.take();

    AddressIndex index(s);
    auto label = [&](std::uint64_t e) { return edge_label(s, 0, e, index); };
    CHECK(label(0) == "");
    CHECK(label(1) == "key");
    CHECK(label(2) == "['name']");
    CHECK(label(3) == "[7]");
    CHECK(label(4) == ".value");
    CHECK(label(5) == "__dict__");
    CHECK(label(6) == "__class__");
    CHECK(label(7) == "local 'db'");
    CHECK(label(8) == "f_back");
    CHECK(label(9) == "{item}");
    CHECK(label(10) == "['name']");
    CHECK(label(11) == "[key]");
    CHECK(label(13) == "[<object 0x3000>]");  // an object key reads as its type and address
    CHECK(label(15) == "[key]");  // the key object is not in the snapshot

    // Without display values, a dict value is "[key]".
    Snapshot no_values = s;
    no_values.value_offset.clear();
    no_values.value_blob.clear();
    CHECK(edge_label(no_values, 0, 2, AddressIndex(no_values)) == "[key]");
    // An index arg is printed in full, a name arg that names nothing prints nothing.
    s.edge_arg[3] = 1ull << 40;
    CHECK(label(3) == "[1099511627776]");
    s.edge_arg[4] = 77;
    CHECK(label(4) == ".");
}
