#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "heapdiff/reader.h"
#include "heapdiff/writer.h"

using namespace heapdiff;

TEST_CASE("a hand-made snapshot round-trips") {
    Snapshot s;
    StringId dict_name = s.strings.add("builtins.dict");
    s.types.push_back({dict_name, 0x1000, 0});
    s.address = {0x7f0000001000, 0x7f0000000f00};
    s.type = {TypeId(1), TypeId(1)};
    s.size = {232, 64};
    s.refcount = {1, 3};
    s.flags = {format::object_flag::kGcTracked, 0};
    s.traceback = {TracebackId(), TracebackId()};
    s.value_offset = {0, 0, 0};
    s.edge_begin = {0, 1, 1};
    s.edge_target = {0x7f0000000f00};
    s.edge_kind = {EdgeKind::Index};
    s.edge_arg = {0};
    std::string path = "roundtrip_test.hds";
    write_snapshot(s, path);
    Snapshot r = read_snapshot(path);
    CHECK(r.object_count() == 2);
    CHECK(r.address == s.address);
    CHECK(r.size == s.size);
    CHECK(r.edge_target == s.edge_target);
    CHECK(r.type_name(r.type[0]) == "builtins.dict");
    std::remove(path.c_str());
}
