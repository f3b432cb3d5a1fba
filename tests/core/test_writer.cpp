// The streaming writer's promises: interning, atomic appearance of the file, cleanup of
// an abandoned dump, and errors that name the path.
#include <doctest/doctest.h>

#include <filesystem>

#include "fixtures.h"
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
    TempDir dir;
    const std::string big(24u << 20, 'x');
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
