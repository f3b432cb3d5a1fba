// What the writer writes, the reader reads back unchanged: every table, every flag,
// every edge kind, across chunk and table-flush boundaries.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "raw_file.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::size_t count_tag(const std::vector<SectionSpan>& spans, std::uint32_t tag) {
    std::size_t n = 0;
    for (const SectionSpan& s : spans) n += s.tag == tag;
    return n;
}

}  // namespace

TEST_CASE("the full snapshot round-trips through a file in one chunk") {
    TempDir dir;
    Snapshot original = full_snapshot();
    write_snapshot(original, dir.file("full.hds"));
    Snapshot loaded = read_snapshot(dir.file("full.hds"));
    check_same_snapshot(original, loaded);
    CHECK(loaded.type_name(loaded.type[3]) == "app.Node");
    CHECK(loaded.type_name(loaded.type[8]) == "?");
    CHECK(loaded.value(5) == std::string("bytes\0\xff", 7));
    CHECK(loaded.strings.get(loaded.module_roots[1].name) == std::string("nul\0byte \xc3\xa9", 11));
    REQUIRE(loaded.fact("time"));
    CHECK(loaded.fact("time")->float_value == 1718000000.25);
    CHECK(loaded.fact("missing") == nullptr);
}

TEST_CASE("the full snapshot round-trips across chunks and table flushes") {
    Snapshot original = full_snapshot();
    Bytes bytes = snapshot_bytes(original, small_chunks());
    check_same_snapshot(original, load(bytes));

    // The options really did split the file, so ids continuing across sections, edges
    // of one chunk (and of one object) spread over several EDGE sections, and targets
    // restarting their deltas in each EDGE section were all exercised.
    std::vector<SectionSpan> spans = section_spans(bytes);
    CHECK(count_tag(spans, format::kObjects) == 4);  // 10 objects, 3 per chunk
    CHECK(count_tag(spans, format::kEdges) > 3);     // 3 chunks with edges, some split
    CHECK(count_tag(spans, format::kStrings) > 1);
    CHECK(count_tag(spans, format::kTypes) > 1);
    CHECK(count_tag(spans, format::kTracebacks) > 1);
    CHECK(count_tag(spans, format::kTraceStats) > 1);
    CHECK(count_tag(spans, format::kRoots) == 1);
    CHECK(count_tag(spans, format::kFacts) == 1);
    REQUIRE(spans.size() >= 2);
    CHECK(spans.back().tag == format::kEnd);
    // Each chunk's edges come in the EDGE sections before its OBJS section.
    std::vector<std::size_t> edge_sections_per_chunk;
    std::size_t edge_sections = 0;
    for (const SectionSpan& span : spans) {
        CHECK(span.flags == format::section_flags(span.tag));
        if (span.tag == format::kEdges) ++edge_sections;
        if (span.tag == format::kObjects) {
            edge_sections_per_chunk.push_back(edge_sections);
            edge_sections = 0;
        }
    }
    CHECK(edge_sections == 0);  // none after the last OBJS section
    REQUIRE(edge_sections_per_chunk.size() == 4);
    CHECK(edge_sections_per_chunk[0] > 2);   // the dict's 5 edges alone need several
    CHECK(edge_sections_per_chunk[3] == 0);  // the last chunk (object 9) has no edges
}

TEST_CASE("a file written by the tiny fixture has the documented header") {
    Bytes bytes = snapshot_bytes(tiny_snapshot());
    REQUIRE(bytes.size() > format::kHeaderSize);
    CHECK(std::string(bytes.begin(), bytes.begin() + 8) == "HEAPDIFF");
    CHECK(bytes[8] == format::kMajor);
    CHECK(bytes[9] == 0);
    CHECK(bytes[10] == format::kMinor);
    CHECK(bytes[12] == format::kHeaderSize);
    check_same_snapshot(tiny_snapshot(), load(bytes));
}

TEST_CASE("a 1.0 reader skips the traced blocks of a 1.1 file and reads the rest unchanged") {
    // A 1.0 reader does not know TRBL: it sees an unknown section. Renamed to a tag no
    // version knows, the section must be skippable (required flag clear) and the rest of
    // the snapshot must read back as written.
    Snapshot original = full_snapshot();
    REQUIRE_FALSE(original.trace_blocks.empty());
    RawFile file = decode(snapshot_bytes(original));
    const std::size_t blocks = find_section(file, format::kTraceBlocks);
    CHECK(file.sections[blocks].flags == 0);
    file.sections[blocks].tag = format::tag("ZZZZ");
    Snapshot read = load(encode(file));
    CHECK(read.trace_blocks.empty());
    original.trace_blocks.clear();
    check_same_snapshot(original, read);
}

TEST_CASE("an empty snapshot round-trips") {
    Snapshot empty;
    Snapshot loaded = load(snapshot_bytes(empty));
    CHECK(loaded.object_count() == 0);
    CHECK(loaded.strings.size() == 0);
    CHECK(loaded.types.empty());
    CHECK(loaded.facts.empty());
    // Loaded with edges and values, an empty heap has their (empty) columns: the graph
    // analyses then see a heap of no objects rather than one loaded without edges.
    CHECK(loaded.has_edges());
    CHECK(loaded.edge_begin == std::vector<std::uint64_t>{0});
    CHECK(loaded.has_values());
    Snapshot light = load(snapshot_bytes(empty), {false, false});
    CHECK_FALSE(light.has_edges());
    CHECK_FALSE(light.has_values());
}

TEST_CASE("loading without edges or values gives the same objects") {
    Snapshot original = full_snapshot();
    Bytes bytes = snapshot_bytes(original, small_chunks());
    Snapshot all = load(bytes);

    SUBCASE("edges=false") {
        Snapshot s = load(bytes, {false, true});
        check_same_objects(all, s);
        CHECK_FALSE(s.has_edges());
        CHECK(s.edge_target.empty());
        CHECK(s.value_offset == all.value_offset);
        CHECK(s.value_blob == all.value_blob);
    }
    SUBCASE("values=false") {
        Snapshot s = load(bytes, {true, false});
        check_same_objects(all, s);
        CHECK_FALSE(s.has_values());
        CHECK(s.value(0).empty());
        CHECK(s.value_blob.empty());
        CHECK(s.edge_begin == all.edge_begin);
        CHECK(s.edge_target == all.edge_target);
    }
    SUBCASE("edge_labels=false: the targets without kinds and arguments") {
        LoadOptions o;
        o.edge_labels = false;
        Snapshot s = load(bytes, o);
        check_same_objects(all, s);
        CHECK(s.has_edges());
        CHECK(s.edge_begin == all.edge_begin);
        CHECK(s.edge_target == all.edge_target);
        CHECK(s.edge_kind.empty());
        CHECK(s.edge_arg.empty());
    }
    SUBCASE("edges=false, values=false") {
        Snapshot s = load(bytes, {false, false});
        check_same_objects(all, s);
        CHECK_FALSE(s.has_edges());
        CHECK_FALSE(s.has_values());
        CHECK(s.traceback_begin == all.traceback_begin);
        CHECK(s.trace_stats.size() == all.trace_stats.size());
        CHECK(s.thread_roots.size() == all.thread_roots.size());
        CHECK(s.facts.size() == all.facts.size());
    }
}

TEST_CASE("a 1.1 reader skips the memory map of a 1.2 file and reads the rest unchanged") {
    // MAPS, PYAR, PYSC and MALA are unknown to 1.1: renamed to tags no version knows, each
    // must be skippable (required flag clear) and the rest must read back as written.
    Snapshot original = full_snapshot();
    RawFile file = decode(snapshot_bytes(original));
    const std::pair<std::uint32_t, std::uint32_t> renamed[] = {{format::kMappings, format::tag("ZZZ1")},
                                                               {format::kPymallocArenas, format::tag("ZZZ2")},
                                                               {format::kPymallocClasses, format::tag("ZZZ3")},
                                                               {format::kMallocArenas, format::tag("ZZZ4")}};
    for (const auto& [tag, unknown] : renamed) {
        const std::size_t at = find_section(file, tag);
        CHECK(file.sections[at].flags == 0);
        file.sections[at].tag = unknown;
    }
    Snapshot read = load(encode(file));
    CHECK(read.mappings.empty());
    CHECK(read.pymalloc_arenas.empty());
    original.mappings.clear();
    original.pymalloc_arenas.clear();
    original.pymalloc_classes.clear();
    original.malloc_arenas.clear();
    check_same_snapshot(original, read);
}

TEST_CASE("a mapping or an arena whose figures exceed its range is corrupted") {
    SUBCASE("rss larger than the mapping") {
        Snapshot s = tiny_snapshot();
        s.mappings = {{0x1000, 0x1000, 0, {}, 0x2000, 0, 0, 0}};
        CHECK_THROWS_WITH(load(snapshot_bytes(s)), doctest::Contains("a mapping's figures exceed its range"));
    }
    SUBCASE("an arena past the end of the address space") {
        Snapshot s = tiny_snapshot();
        s.pymalloc_arenas = {{~0ull - 10, 1u << 20, 1, 0, 0, 0, 0}};
        CHECK_THROWS_WITH(load(snapshot_bytes(s)), doctest::Contains("an arena's figures exceed its size"));
    }
    SUBCASE("a mapping naming a missing string") {
        // Written row by row: write_snapshot() would map the unknown id to "no path".
        TempDir dir;
        {
            SnapshotWriter w(dir.file("bad.hds"));
            w.add_mapping({0x1000, 0x1000, 0, StringId(999), 0, 0, 0, 0});
            w.finish();
        }
        CHECK_THROWS_WITH(read_snapshot(dir.file("bad.hds")), doctest::Contains("a mapping names a missing string"));
    }
}
