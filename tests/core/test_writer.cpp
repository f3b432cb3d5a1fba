// The streaming writer's promises: interning, atomic appearance of the file, cleanup of
// an abandoned dump, errors that name the path, and sections kept below the format's
// limit however large the objects are.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

TEST_CASE("intern gives one id per text and 0 for the empty string") {
    TempDir dir;
    SnapshotWriter w(dir.file("s.hds"));
    StringId a = w.intern("a");
    StringId b = w.intern("b");
    CHECK(a == StringId(1));
    CHECK(b == StringId(2));
    CHECK(w.intern("a") == a);
    CHECK_FALSE(w.intern("").valid());
    w.finish();
    Snapshot s = read_snapshot(dir.file("s.hds"));
    CHECK(s.strings.size() == 2);
    CHECK(s.strings.get(b) == "b");
}

TEST_CASE("the snapshot appears under its name only when finished") {
    TempDir dir;
    std::string path = dir.file("s.hds");
    std::string temp;
    {
        SnapshotWriter w(path, small_chunks());
        temp = w.temp_path();
        for (int i = 0; i < 10; ++i) w.add_object(0x1000 + 16 * i, TypeId(), 16, 1, 0, {}, "");
        CHECK(std::filesystem::exists(temp));
        CHECK_FALSE(std::filesystem::exists(path));
        w.finish();
        w.finish();  // a second finish is a no-op
        CHECK(w.objects_written() == 10);
        CHECK(w.bytes_written() == std::filesystem::file_size(path));
    }
    CHECK(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(temp));
    CHECK(read_snapshot(path).object_count() == 10);
}

TEST_CASE("a writer dropped without finish leaves no file behind") {
    TempDir dir;
    std::string temp;
    {
        SnapshotWriter w(dir.file("s.hds"), small_chunks());
        temp = w.temp_path();
        for (int i = 0; i < 10; ++i) w.add_object(0x1000 + 16 * i, TypeId(), 16, 1, 0, {}, "");
    }
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("writer errors are one line naming the path") {
    TempDir dir;
    std::string message;
    try {
        SnapshotWriter w(dir.file("no/such/dir/s.hds"));
    } catch (const Error& e) {
        message = e.what();
    }
    CHECK(message.find("cannot write " + dir.file("no/such/dir/s.hds") + ": No such file") == 0);
    SnapshotWriter w(dir.file("s.hds"));
    CHECK_THROWS_WITH_AS(w.add_edge(0x10, EdgeKind::Index, 0), doctest::Contains("edge before any object"), Error);
}

TEST_CASE("objects_per_chunk = 0 is treated as 1") {
    WriterOptions o;
    o.objects_per_chunk = 0;
    Snapshot original = tiny_snapshot();
    Bytes bytes = snapshot_bytes(original, o);
    std::size_t chunks = 0;
    for (const SectionSpan& s : section_spans(bytes)) chunks += s.tag == format::kObjects;
    CHECK(chunks == original.object_count());
    check_same_snapshot(original, load(bytes));
}

TEST_CASE("a chunk of large objects is flushed before its section outgrows the format") {
    // Four objects with 24 MB display values: the default 65536 objects per chunk would
    // put 96 MB in one OBJS section; the writer starts a new chunk past 64 MB instead.
    // The values are pseudo-random: 96 MB of one letter would compress beyond what a
    // reader accepts of a file that small (read_limits).
    TempDir dir;
    std::string big(24u << 20, ' ');
    std::uint64_t state = 88172645463325252ull;
    for (char& c : big) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;  // xorshift64
        c = static_cast<char>('a' + state % 26);
    }
    {
        SnapshotWriter w(dir.file("big.hds"));
        for (int i = 0; i < 4; ++i) w.add_object(0x1000 + 16 * i, TypeId(), 16, 1, 0, {}, big);
        w.finish();
    }
    std::vector<std::uint64_t> object_sections;
    for (const SectionSpan& s : section_spans(read_file_bytes(dir.file("big.hds"))))
        if (s.tag == format::kObjects) object_sections.push_back(s.raw_size);
    REQUIRE(object_sections.size() == 2);
    CHECK(object_sections[0] < format::kMaxSectionRaw / 4 + big.size() + 64);
    Snapshot s = read_snapshot(dir.file("big.hds"), {true, false});
    CHECK(s.object_count() == 4);
    CHECK(s.edge_begin == std::vector<std::uint64_t>(5, 0));
}

namespace {

// Section headers of a file, read with seeks: the file may be too big to hold in memory.
std::vector<SectionSpan> file_section_spans(const std::string& path) {
    std::vector<SectionSpan> spans;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f);
    std::uint8_t raw[format::kSectionHeaderSize];
    std::fseek(f, format::kHeaderSize, SEEK_SET);
    while (std::fread(raw, 1, sizeof raw, f) == sizeof raw) {
        ByteReader r(raw, sizeof raw, "test section header");
        SectionSpan s;
        s.tag = r.fixed32();
        s.flags = r.fixed32();
        s.stored_size = r.fixed64();
        s.raw_size = r.fixed64();
        spans.push_back(s);
        std::fseek(f, static_cast<long>(s.stored_size), SEEK_CUR);
    }
    std::fclose(f);
    return spans;
}

}  // namespace

TEST_CASE("an object with 25 million edges is written in several EDGE sections") {
    // A list of 25 million items, as real heaps have: its edges take more bytes than one
    // section may hold, which used to fail the whole dump. Written the way the probe
    // writes, with default options, and checked edge by edge without keeping a copy.
    constexpr std::uint64_t kItems = 25'000'000;
    // Items scattered over 1 TiB: their deltas take 6 bytes, as in a fragmented heap.
    auto item = [](std::uint64_t i) {
        return 0x7f0000000000ull + ((i * 0x9E3779B97F4A7C15ull) >> 24 & 0xFFFFFFFFF0ull);
    };
    TempDir dir;
    const std::string path = dir.file("big.hds");
    {
        SnapshotWriter w(path);
        TypeId list = w.add_type(w.intern("builtins.list"), 0xa000, 0);
        w.add_object(0x7e0000001000, list, 72, 1, format::object_flag::kGcTracked, {}, "[0]");
        w.add_edge(0x1000, EdgeKind::Index, 0);
        w.add_object(0x7e0000002000, list, 8 * kItems + 56, 1, format::object_flag::kGcTracked, {}, "[...]");
        for (std::uint64_t i = 0; i < kItems; ++i) w.add_edge(item(i), EdgeKind::Index, i);
        w.add_object(0x7e0000003000, list, 64, 1, format::object_flag::kGcTracked, {}, "[[...]]");
        w.add_edge(0x7e0000002000, EdgeKind::Index, 0);
        w.finish();
        CHECK(w.edges_written() == kItems + 2);
    }

    std::uint64_t edge_sections = 0, edge_bytes = 0;
    for (const SectionSpan& s : file_section_spans(path)) {
        CHECK(s.raw_size <= format::kMaxSectionRaw);
        if (s.tag != format::kEdges) continue;
        ++edge_sections;
        edge_bytes += s.raw_size;
    }
    CHECK(edge_bytes > format::kMaxSectionRaw);  // one EDGE section could not have held them
    CHECK(edge_sections >= 4);

    CHECK(read_snapshot(path, {false, false}).object_count() == 3);
    Snapshot s = read_snapshot(path, {true, false});
    REQUIRE(s.object_count() == 3);
    REQUIRE(s.edge_begin == std::vector<std::uint64_t>{0, 1, 1 + kItems, 2 + kItems});
    CHECK(s.edge_target[0] == 0x1000);
    CHECK(s.edge_target[kItems + 1] == 0x7e0000002000);
    std::uint64_t wrong = 0;
    for (std::uint64_t i = 0; i < kItems; ++i)
        wrong += s.edge_target[1 + i] != item(i) || s.edge_kind[1 + i] != EdgeKind::Index || s.edge_arg[1 + i] != i;
    CHECK(wrong == 0);
}
