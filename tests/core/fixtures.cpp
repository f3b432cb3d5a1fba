#include "fixtures.h"

#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <limits>

#include "snapshot_builder.h"
#include "temp_dir.h"

namespace heapdiff::test {

namespace flag = format::object_flag;

Snapshot full_snapshot() {
    SnapshotBuilder b;
    TypeId dict = b.type("builtins.dict", 0x55550000a000, 0);
    TypeId list = b.type("builtins.list", 0x55550000b000, 0);
    TypeId node = b.type("app.Node", 0x7f00000c0000, format::type_flag::kHeapType | format::type_flag::kHasFinalizer);
    TypeId str = b.type("builtins.str", 0x55550000c000, 0);
    TypeId frame = b.type("builtins.frame", 0x55550000d000, 0);
    TypeId set = b.type("builtins.set", 0x55550000e000, 0);
    b.type("builtins.unused", 0x55550000f000, format::type_flag::kHeapType);  // a type with no objects

    StringId main_py = b.string("/app/main.py");
    StringId json_py = b.string("/usr/lib/python3.12/json/decoder.py");
    StringId attr = b.string("value");
    StringId local = b.string("db");
    StringId field = b.string("f_back");
    StringId app_module = b.string("app");
    StringId odd = b.string(std::string("nul\0byte \xc3\xa9", 11));  // embedded NUL and UTF-8

    TracebackId tb_deep = b.traceback({{main_py, 42}, {json_py, 353}, {main_py, 7}}, 25);  // truncated at 3
    TracebackId tb_one = b.traceback({{json_py, 1}}, 1);
    TracebackId tb_empty = b.traceback({}, 0);

    // Chunk 1 (objects 0-2): a dict with key/value pairs, a key, a list.
    b.object(0x7f0000001000, dict, 232, 1, flag::kGcTracked | (0u << flag::kGenerationShift), tb_deep, "{'a': [...]}");
    b.edge(0x7f0000002000, EdgeKind::DictKey);
    b.edge(0x7f0000003000, EdgeKind::DictValue, 0);  // the value of the key edge 0
    b.edge(0x7f0000002000, EdgeKind::DictKey);
    b.edge(0x7f0000000f00, EdgeKind::DictValue, 2);  // target below the source: negative delta
    b.edge(0x55550000a000, EdgeKind::Class);
    b.object(0x7f0000002000, str, 50, 0xFFFFFFFFull, flag::kImmortal, {}, "'a'");
    b.object(0x7f0000003000, list, 88, 2, flag::kGcTracked | (2u << flag::kGenerationShift), tb_one, "[1, 2, 3]");
    b.edge(0x1000, EdgeKind::Index, 0);  // outside the snapshot (a small int)
    b.edge(0x1020, EdgeKind::Index, 1);
    b.edge(0x1040, EdgeKind::Index, (1ull << 40) + 3);  // an index needing a long varint

    // Chunk 2 (objects 3-5): an instance with slots and a __dict__, a frame, an object
    // with no edges at all.
    b.object(0x7f00000c1000, node, 48, 3,
             flag::kGcTracked | (1u << flag::kGenerationShift) | flag::kHasFinalizer | flag::kSizeApproximate,
             tb_empty, "<app.Node object>");
    b.edge(0x7f0000002000, EdgeKind::Attribute, attr.value);
    b.edge(0x7f0000001000, EdgeKind::InstanceDict);
    b.edge(0x7f00000c0000, EdgeKind::Class);
    b.edge(0x7f00000c1000, EdgeKind::Unknown);  // a self edge
    b.object(0x7f0000004000, frame, 400, 1, flag::kGcTracked | flag::kGenerationMask, {}, "");
    b.edge(0x7f00000c1000, EdgeKind::FrameLocal, local.value);
    b.edge(0x7f0000005000, EdgeKind::Field, field.value);
    b.object(0xFFFFFFFFFFFFFFF0ull, str, 0, 0, 0, {}, std::string("bytes\0\xff", 7));  // address wraps the delta

    // Chunk 3 (objects 6-8): a set, a garbage object with every flag bit, the zero address.
    b.object(0x7f0000006000, set, 216, 1, flag::kGcTracked, {}, "{1}");
    b.edge(0x1000, EdgeKind::SetItem);
    b.edge(0x7f0000002000, EdgeKind::SetItem);
    b.object(0x7f0000005000, node, 1ull << 50, ~0ull, 0xFF, tb_deep, "");
    b.edge(0, EdgeKind::Unknown, ~0ull);  // an unused arg may be anything
    b.object(0, {}, 16, 1, flag::kInGcGarbage, {}, "");  // no type: counted as "?"

    // Chunk 4 (object 9): a lone object and no edges: an OBJS section and no EDGE section.
    b.object(0x7f0000007000, dict, 64, 1, flag::kGcTracked, {}, "{}");

    Snapshot& s = b.snapshot();
    s.trace_stats = {{tb_deep, 0, 12, 4096}, {tb_one, 42, 1, 64}, {tb_empty, 0, 0, 0}};
    s.trace_blocks = {{0x7f0000001000, 4096, tb_deep, 0}, {0x7f0000003000, 64, tb_one, 42}};
    s.module_roots = {{0x7f00000a0000, app_module}, {0x7f00000a1000, odd}};
    // The memory map (1.2): every table, with figures up to the largest a varint holds.
    const StringId libpython = b.string("/usr/lib/libpython3.12.so.1.0");
    s.mappings = {{0x55d000000000, 0x21000, format::mapping_perm::kRead | format::mapping_perm::kWrite, b.string("[heap]"),
                   0x20000, 0x20000, 0x1f000, 0},
                  {0x7f1000000000, 0x3000, format::mapping_perm::kRead | format::mapping_perm::kExec, libpython, 0x3000,
                   0x1000, 0, 0},
                  {0x7f2000000000, 0x100000, format::mapping_perm::kRead | format::mapping_perm::kWrite, {}, 0x80000,
                   0x80000, 0x80000, 0x1000}};
    s.pymalloc_arenas = {{0x7f2000000000, 1u << 20, 64, 3, 400000, 9000, 0x80000}, {0x7f2000100000, 1u << 20, 64, 64, 0, 0, 0}};
    s.pymalloc_classes = {{16, 2, 1000, 24}, {512, 1, 30, 1}};
    s.malloc_arenas = {{0, 12345, 17, 0x21000, 0x40000, 0x21000}, {1, 0, 0, 1ull << 26, 1ull << 26, ~0ull}};
    s.thread_roots = {{140000000000001ull, {0x7f0000004000, 0x7f0000003000, 0x7f0000009000}}, {2, {}}};

    b.fact("pid", std::int64_t{4242});
    b.fact("time", 1718000000.25);
    b.fact("label", std::string("after warmup"));
    b.fact("argv[0]", std::string("/usr/bin/python3"));
    b.fact("negative", std::int64_t{-5});
    b.fact("int.min", std::numeric_limits<std::int64_t>::min());
    b.fact("int.max", std::numeric_limits<std::int64_t>::max());
    b.fact("float.nan", std::numeric_limits<double>::quiet_NaN());
    b.fact("float.-inf", -std::numeric_limits<double>::infinity());
    b.fact("float.-0", -0.0);
    b.fact("empty", std::string());
    b.fact("", std::string("a fact with an empty key"));
    return b.take();
}

Snapshot tiny_snapshot() {
    SnapshotBuilder b;
    TypeId dict = b.type("builtins.dict", 0xa000, 0);
    StringId attr = b.string("x");
    TracebackId tb = b.traceback({{b.string("m.py"), 3}}, 1);
    b.object(0x1000, dict, 64, 1, format::object_flag::kGcTracked, tb, "{}");
    b.edge(0x2000, EdgeKind::DictKey);
    b.edge(0x3000, EdgeKind::DictValue, 0);
    b.object(0x2000, dict, 32, 2, 0, {}, "'k'");
    b.edge(0x1000, EdgeKind::Attribute, attr.value);
    b.object(0x3000, dict, 16, 1, 0, {}, "");
    b.snapshot().trace_stats = {{tb, 0, 1, 64}};
    b.snapshot().module_roots = {{0x1000, attr}};
    b.snapshot().thread_roots = {{7, {0x3000}}};
    b.fact("pid", std::int64_t{1});
    return b.take();
}

WriterOptions small_chunks() {
    WriterOptions o;
    o.objects_per_chunk = 3;
    o.table_flush_bytes = 8;
    o.edge_flush_bytes = 12;
    return o;
}

Bytes snapshot_bytes(const Snapshot& snapshot, WriterOptions options) {
    TempDir dir;
    write_snapshot(snapshot, dir.file("s.hds"), options);
    return read_file_bytes(dir.file("s.hds"));
}

Snapshot load(const Bytes& bytes, LoadOptions options) {
    return read_snapshot_bytes(bytes.data(), bytes.size(), options, "test.hds");
}

std::string load_error(const Bytes& bytes, LoadOptions options) {
    try {
        load(bytes, options);
    } catch (const Error& e) {
        std::string message = e.what();
        CHECK_MESSAGE(message.find('\n') == std::string::npos, "not one line: " << message);
        return message.empty() ? "(empty message)" : message;
    }
    return {};
}

void check_same_objects(const Snapshot& a, const Snapshot& b) {
    REQUIRE(a.object_count() == b.object_count());
    CHECK(a.address == b.address);
    CHECK(a.type == b.type);
    CHECK(a.size == b.size);
    CHECK(a.refcount == b.refcount);
    CHECK(a.flags == b.flags);
    CHECK(a.traceback == b.traceback);
    REQUIRE(a.types.size() == b.types.size());
    for (std::size_t t = 0; t < a.types.size(); ++t) {
        CHECK(a.strings.get(a.types[t].name) == b.strings.get(b.types[t].name));
        CHECK(a.types[t].address == b.types[t].address);
        CHECK(a.types[t].flags == b.types[t].flags);
    }
}

namespace {

bool same_bits(double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; }

void check_same_facts(const Snapshot& a, const Snapshot& b) {
    REQUIRE(a.facts.size() == b.facts.size());
    for (std::size_t i = 0; i < a.facts.size(); ++i) {
        const Fact &x = a.facts[i], &y = b.facts[i];
        CAPTURE(x.key);
        CHECK(x.key == y.key);
        CHECK(x.kind == y.kind);
        CHECK(x.int_value == y.int_value);
        CHECK(same_bits(x.float_value, y.float_value));
        CHECK(x.string_value == y.string_value);
    }
}

}  // namespace

namespace {
auto fields(const Mapping& m) { return std::tie(m.start, m.size, m.perms, m.path, m.rss, m.pss, m.private_dirty, m.swap); }
auto fields(const PymallocArena& a) {
    return std::tie(a.address, a.size, a.pools, a.free_pools, a.used_bytes, a.used_blocks, a.resident);
}
auto fields(const PymallocClass& c) { return std::tie(c.block_size, c.pools, c.blocks_in_use, c.blocks_free); }
auto fields(const MallocArena& a) {
    return std::tie(a.number, a.free_bytes, a.free_chunks, a.system_current, a.system_max, a.mmapped);
}
}  // namespace

void check_same_snapshot(const Snapshot& a, const Snapshot& b) {
    check_same_objects(a, b);
    CHECK(a.format_major == b.format_major);
    CHECK(a.format_minor == b.format_minor);
    REQUIRE(a.strings.size() == b.strings.size());
    for (std::uint32_t i = 1; i <= a.strings.size(); ++i) CHECK(a.strings.get(StringId(i)) == b.strings.get(StringId(i)));
    CHECK(a.value_offset == b.value_offset);
    CHECK(a.value_blob == b.value_blob);
    CHECK(a.edge_begin == b.edge_begin);
    CHECK(a.edge_target == b.edge_target);
    CHECK(a.edge_kind == b.edge_kind);
    CHECK(a.edge_arg == b.edge_arg);
    CHECK(a.traceback_begin == b.traceback_begin);
    REQUIRE(a.traceback_frames.size() == b.traceback_frames.size());
    for (std::size_t i = 0; i < a.traceback_frames.size(); ++i) {
        CHECK(a.traceback_frames[i].filename == b.traceback_frames[i].filename);
        CHECK(a.traceback_frames[i].lineno == b.traceback_frames[i].lineno);
    }
    CHECK(a.traceback_total_frames == b.traceback_total_frames);
    REQUIRE(a.trace_blocks.size() == b.trace_blocks.size());
    for (std::size_t i = 0; i < a.trace_blocks.size(); ++i) {
        CHECK(a.trace_blocks[i].address == b.trace_blocks[i].address);
        CHECK(a.trace_blocks[i].size == b.trace_blocks[i].size);
        CHECK(a.trace_blocks[i].traceback == b.trace_blocks[i].traceback);
        CHECK(a.trace_blocks[i].domain == b.trace_blocks[i].domain);
    }
    REQUIRE(a.trace_stats.size() == b.trace_stats.size());
    for (std::size_t i = 0; i < a.trace_stats.size(); ++i) {
        CHECK(a.trace_stats[i].traceback == b.trace_stats[i].traceback);
        CHECK(a.trace_stats[i].domain == b.trace_stats[i].domain);
        CHECK(a.trace_stats[i].count == b.trace_stats[i].count);
        CHECK(a.trace_stats[i].size == b.trace_stats[i].size);
    }
    REQUIRE(a.module_roots.size() == b.module_roots.size());
    for (std::size_t i = 0; i < a.module_roots.size(); ++i) {
        CHECK(a.module_roots[i].address == b.module_roots[i].address);
        CHECK(a.module_roots[i].name == b.module_roots[i].name);
    }
    REQUIRE(a.thread_roots.size() == b.thread_roots.size());
    for (std::size_t i = 0; i < a.thread_roots.size(); ++i) {
        CHECK(a.thread_roots[i].thread_id == b.thread_roots[i].thread_id);
        CHECK(a.thread_roots[i].frames == b.thread_roots[i].frames);
    }
    auto same_rows = [](const auto& x, const auto& y) {
        REQUIRE(x.size() == y.size());
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(fields(x[i]) == fields(y[i]));
    };
    same_rows(a.mappings, b.mappings);
    same_rows(a.pymalloc_arenas, b.pymalloc_arenas);
    same_rows(a.pymalloc_classes, b.pymalloc_classes);
    same_rows(a.malloc_arenas, b.malloc_arenas);
    check_same_facts(a, b);
}

}  // namespace heapdiff::test
