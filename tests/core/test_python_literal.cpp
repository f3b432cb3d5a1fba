// python_literal(): every kind of dict key reads as the literal a Python developer would
// type, and a key with no short literal as its type and address.
#include <doctest/doctest.h>

#include "heapdiff/address_index.h"
#include "heapdiff/edge_label.h"
#include "heapdiff/python_literal.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

struct KeyHeap {
    SnapshotBuilder b;
    TypeId str = b.type("builtins.str", 0xa001);
    TypeId integer = b.type("builtins.int", 0xa002);
    TypeId tuple = b.type("builtins.tuple", 0xa003);
    TypeId none = b.type("builtins.NoneType", 0xa004);
    TypeId bytes = b.type("builtins.bytes", 0xa005);
    TypeId boolean = b.type("builtins.bool", 0xa006);
    TypeId real = b.type("builtins.float", 0xa007);
    TypeId frozen = b.type("builtins.frozenset", 0xa008);
    TypeId point = b.type("geometry.Point", 0xa009);
    TypeId type = b.type("builtins.type", 0xa00a);
};

}  // namespace

TEST_CASE("each key type has its own literal") {
    KeyHeap h;
    SnapshotBuilder& b = h.b;
    b.object(0x100, h.str, 50, 1, 0, {}, "-4199");
    b.object(0x101, h.integer, 28, 1, 0, {}, "-4199");
    b.object(0x102, h.none, 16, 1, 0, {}, "None");
    b.object(0x103, h.bytes, 35, 1, 0, {}, "b'ab'");
    b.object(0x104, h.boolean, 28, 1, 0, {}, "True");
    b.object(0x105, h.real, 24, 1, 0, {}, "0.1");
    b.object(0x106, h.point, 48, 1, 0, {}, "");
    b.object(0x107, h.integer, 60, 1, 0, {}, "");  // past 64 bits: no value written
    b.object(0x108, h.tuple, 56, 1, 0, {}, "");     // (1, 'a')
    b.edge(0x109, EdgeKind::Index, 0);
    b.edge(0x10a, EdgeKind::Index, 1);
    b.object(0x109, h.integer, 28, 1, 0, {}, "1");
    b.object(0x10a, h.str, 50, 1, 0, {}, "a");
    b.object(0x10b, h.tuple, 48, 1, 0, {}, "");  // (None,)
    b.edge(0x102, EdgeKind::Index, 0);
    b.object(0x10c, h.tuple, 40, 1, 0, {}, "");  // ()
    b.object(0x10d, h.frozen, 200, 1, 0, {}, "");
    b.edge(0x109, EdgeKind::SetItem);
    b.object(0x10e, h.tuple, 56, 1, 0, {}, "");  // (Point, (None,))
    b.edge(0x106, EdgeKind::Index, 0);
    b.edge(0x10b, EdgeKind::Index, 1);
    b.object(0x10f, h.str, 50, 1, 0, {}, "it's");
    b.object(0x110, h.str, 50, 1, 0, {}, "say \"it's\"");
    b.object(0x111, h.str, 100, 1, format::object_flag::kValueCut, {}, "abc");
    b.object(0x112, h.type, 400, 1, 0, {}, "builtins.int");
    b.object(0x113, h.type, 400, 1, 0, {}, "geometry.Point");
    b.object(0x114, h.frozen, 200, 1, 0, {}, "");
    b.object(0x115, h.tuple, 48, 1, 0, {}, "");  // holds an item the snapshot lacks
    b.edge(0x999, EdgeKind::Index, 0);
    Snapshot s = b.take();
    AddressIndex index(s);
    auto literal = [&](std::uint64_t address) { return python_literal(s, index.find(address), index); };

    CHECK(literal(0x100) == "'-4199'");
    CHECK(literal(0x101) == "-4199");
    CHECK(literal(0x102) == "None");
    CHECK(literal(0x103) == "b'ab'");
    CHECK(literal(0x104) == "True");
    CHECK(literal(0x105) == "0.1");
    CHECK(literal(0x106) == "<Point 0x106>");
    CHECK(literal(0x107) == "<int 0x107>");
    CHECK(literal(0x108) == "(1, 'a')");
    CHECK(literal(0x10b) == "(None,)");
    CHECK(literal(0x10c) == "()");
    CHECK(literal(0x10d) == "frozenset({1})");
    CHECK(literal(0x10e) == "(<Point 0x106>, (None,))");
    CHECK(literal(0x10f) == "\"it's\"");
    CHECK(literal(0x110) == "'say \"it\\'s\"'");
    CHECK(literal(0x111) == "'abc'\u2026");
    CHECK(literal(0x112) == "int");
    CHECK(literal(0x113) == "geometry.Point");
    CHECK(literal(0x114) == "frozenset()");
    CHECK(literal(0x115) == "(<?>,)");

    SUBCASE("without edges a tuple reads as its type and address") {
        Snapshot flat = s;
        flat.edge_begin.clear();
        flat.edge_target.clear();
        flat.edge_kind.clear();
        flat.edge_arg.clear();
        AddressIndex flat_index(flat);
        CHECK(python_literal(flat, flat_index.find(0x108), flat_index) == "<tuple 0x108>");
    }
}

TEST_CASE("nesting past three levels or 120 bytes falls back to type and address") {
    KeyHeap h;
    SnapshotBuilder& b = h.b;
    // (((('x',),),),): four tuples deep.
    b.object(0x200, h.tuple, 48, 1, 0, {}, "");
    b.edge(0x201, EdgeKind::Index, 0);
    b.object(0x201, h.tuple, 48, 1, 0, {}, "");
    b.edge(0x202, EdgeKind::Index, 0);
    b.object(0x202, h.tuple, 48, 1, 0, {}, "");
    b.edge(0x203, EdgeKind::Index, 0);
    b.object(0x203, h.tuple, 48, 1, 0, {}, "");
    b.edge(0x204, EdgeKind::Index, 0);
    b.object(0x204, h.str, 50, 1, 0, {}, "x");
    b.object(0x300, h.tuple, 400, 1, 0, {}, "");  // 40 items of 'abcdefgh'
    for (int k = 0; k < 40; ++k) b.edge(0x301, EdgeKind::Index, k);
    b.object(0x301, h.str, 50, 1, 0, {}, "abcdefgh");
    Snapshot s = b.take();
    AddressIndex index(s);
    CHECK(python_literal(s, index.find(0x200), index) == "(((<tuple 0x203>,),),)");
    CHECK(python_literal(s, index.find(0x201), index) == "((('x',),),)");
    CHECK(python_literal(s, index.find(0x300), index) == "<tuple 0x300>");
}

TEST_CASE("a dict value's label is its key's literal") {
    KeyHeap h;
    SnapshotBuilder& b = h.b;
    b.object(0x400, h.b.type("builtins.dict", 0xa0ff), 1000, 1, 0, {}, "");
    b.edge(0x401, EdgeKind::DictKey);
    b.edge(0x402, EdgeKind::DictValue, 0);
    b.edge(0x403, EdgeKind::DictKey);
    b.edge(0x402, EdgeKind::DictValue, 2);
    b.object(0x401, h.integer, 28, 1, 0, {}, "-4199");
    b.object(0x402, h.point, 48, 1, 0, {}, "");
    b.object(0x403, h.str, 50, 1, 0, {}, "-4199");
    Snapshot s = b.take();
    AddressIndex index(s);
    CHECK(edge_label(s, 0, 1, index) == "[-4199]");
    CHECK(edge_label(s, 0, 3, index) == "['-4199']");
}
