// One object's edges may span several EDGE sections: the writer writes its pending edges
// as an EDGE section whenever they reach WriterOptions::edge_flush_bytes, even in the
// middle of an object, and the OBJS section after them shares them out. Each EDGE
// section decodes on its own: its targets are deltas against the previous target of the
// same section, the first against 0.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "snapshot_builder.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

// A list of 40 items, a dict of 6 pairs (each value's arg names its key's edge), an
// object without edges and a tuple: with tiny flushes the list's edges span many EDGE
// sections, and sections hold the end of one object's edges and the start of the next.
Snapshot large_objects() {
    SnapshotBuilder b;
    TypeId list = b.type("builtins.list", 0xa000);
    TypeId dict = b.type("builtins.dict", 0xb000);
    TypeId str = b.type("builtins.str", 0xc000);
    TypeId tuple = b.type("builtins.tuple", 0xd000);
    b.object(0x7f0000100000, list, 8 * 40 + 56, 1, format::object_flag::kGcTracked, {}, "[0, 1, ...]");
    for (std::uint64_t i = 0; i < 40; ++i)  // scattered items: deltas in both directions
        b.edge(0x7f0000200000 + 0x40 * (i * 17 % 40), EdgeKind::Index, i);
    b.object(0x7f0000100400, dict, 360, 1, format::object_flag::kGcTracked, {}, "{...}");
    for (std::uint64_t k = 0; k < 6; ++k) {
        b.edge(0x7f0000300000 + 0x40 * k, EdgeKind::DictKey);
        b.edge(0x7f0000200000 + 0x40 * k, EdgeKind::DictValue, 2 * k);
    }
    b.object(0x7f0000100800, str, 50, 1, 0, {}, "'key'");
    b.object(0x7f0000100c00, tuple, 56, 1, format::object_flag::kGcTracked, {}, "(...)");
    b.edge(0x7f0000100000, EdgeKind::Index, 0);
    b.edge(0x7f0000100400, EdgeKind::Index, 1);
    return b.take();
}

WriterOptions edge_flush(std::size_t bytes, std::uint32_t objects_per_chunk = 1u << 16) {
    WriterOptions o;
    o.edge_flush_bytes = bytes;
    o.objects_per_chunk = objects_per_chunk;
    return o;
}

// How many EDGE sections come before each OBJS section.
std::vector<std::size_t> edge_sections_per_chunk(const Bytes& bytes) {
    std::vector<std::size_t> out;
    std::size_t n = 0;
    for (const SectionSpan& s : section_spans(bytes)) {
        if (s.tag == format::kEdges) ++n;
        if (s.tag == format::kObjects) {
            out.push_back(n);
            n = 0;
        }
    }
    CHECK(n == 0);
    return out;
}

// Decodes every EDGE section on its own, from the layout in docs/FORMAT.md rather than
// with the reader, and CHECKs that together they hold the snapshot's edges in order.
void check_edge_sections_standalone(const Bytes& bytes, const Snapshot& expected) {
    std::size_t next = 0;
    for (const RawSection& s : decode(bytes).sections) {
        if (s.tag != format::kEdges) continue;
        ByteReader r(s.payload.data(), s.payload.size(), "test EDGE");
        const std::uint64_t n = r.varint();
        REQUIRE(next + n <= expected.edge_target.size());
        std::uint64_t previous = 0;
        for (std::uint64_t e = 0; e < n; ++e) CHECK(r.delta(previous) == expected.edge_target[next + e]);
        for (std::uint64_t e = 0; e < n; ++e) CHECK(r.u8() == static_cast<std::uint8_t>(expected.edge_kind[next + e]));
        for (std::uint64_t e = 0; e < n; ++e) CHECK(r.varint() == expected.edge_arg[next + e]);
        CHECK(r.at_end());
        next += n;
    }
    CHECK(next == expected.edge_target.size());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("one object's edges spanning many EDGE sections round-trip") {
    const Snapshot original = large_objects();
    for (std::size_t flush : {0u, 1u, 8u, 24u, 100u}) {
        for (std::uint32_t per_chunk : {1u, 3u, 1u << 16}) {
            CAPTURE(flush);
            CAPTURE(per_chunk);
            Bytes bytes = snapshot_bytes(original, edge_flush(flush, per_chunk));
            check_same_snapshot(original, load(bytes));
            check_edge_sections_standalone(bytes, original);
            std::vector<std::size_t> per = edge_sections_per_chunk(bytes);
            REQUIRE(!per.empty());
            CHECK(per[0] >= (flush <= 24 ? 3u : 2u));  // the list's 40 edges take 4 bytes or so each
            if (flush <= 1) CHECK(per[0] == (per_chunk == 1 ? 40u : per_chunk == 3 ? 52u : 54u));  // one per edge
        }
    }
    // The default threshold keeps a small heap's edges in one EDGE section per chunk.
    CHECK(edge_sections_per_chunk(snapshot_bytes(original)) == std::vector<std::size_t>{1});
}

TEST_CASE("the writer counts edges split over sections once") {
    TempDir dir;
    SnapshotWriter w(dir.file("s.hds"), edge_flush(1));
    w.add_object(0x1000, TypeId(), 16, 1, 0, {}, "");
    for (int i = 0; i < 5; ++i) w.add_edge(0x2000 + i, EdgeKind::Index, static_cast<std::uint64_t>(i));
    w.finish();
    CHECK(w.objects_written() == 1);
    CHECK(w.edges_written() == 5);
    Snapshot s = read_snapshot(dir.file("s.hds"));
    CHECK(s.edge_begin == std::vector<std::uint64_t>{0, 5});
    CHECK(s.edge_target == std::vector<std::uint64_t>{0x2000, 0x2001, 0x2002, 0x2003, 0x2004});
}

TEST_CASE("edges split in the middle of an object load the same objects without edges") {
    const Snapshot original = large_objects();
    const Bytes bytes = snapshot_bytes(original, edge_flush(24));
    REQUIRE(edge_sections_per_chunk(bytes)[0] >= 3);
    const Snapshot all = load(bytes);
    for (LoadOptions options : {LoadOptions{false, true}, LoadOptions{false, false}, LoadOptions{true, false}}) {
        CAPTURE(options.edges);
        CAPTURE(options.values);
        Snapshot s = load(bytes, options);
        check_same_objects(all, s);
        check_same_objects(original, s);
        CHECK(s.has_edges() == options.edges);
        CHECK(s.has_values() == options.values);
        if (options.values) CHECK(s.value_blob == all.value_blob);
        if (options.edges) CHECK(s.edge_begin == all.edge_begin);
    }
}

TEST_CASE("a written file with an EDGE section dropped, moved or repeated is refused") {
    const RawFile written = decode(snapshot_bytes(large_objects(), edge_flush(24)));
    const std::size_t objects = find_section(written, format::kObjects);
    const std::size_t second_edges = find_section(written, format::kEdges, 1);
    REQUIRE(second_edges < objects);
    const std::string differ = "section OBJS: the objects' edge counts do not match the edges before them";

    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        CAPTURE(options.edges);
        CHECK(load_error(encode(written), options).empty());

        // Some of the list's edges missing: the OBJS section's counts claim more.
        RawFile dropped = written;
        dropped.sections.erase(dropped.sections.begin() + static_cast<std::ptrdiff_t>(second_edges));
        fix_end(dropped);
        CHECK(contains(load_error(encode(dropped), options), differ));

        // The chunk's last edges after its OBJS section: too few before it, and edges
        // left over at the end.
        RawFile moved = written;
        std::swap(moved.sections[objects - 1], moved.sections[objects]);
        REQUIRE(moved.sections[objects].tag == format::kEdges);
        CHECK(contains(load_error(encode(moved), options), differ));

        // A repeated EDGE section: too many before the OBJS section...
        RawFile repeated = written;
        repeated.sections.insert(repeated.sections.begin() + static_cast<std::ptrdiff_t>(second_edges),
                                 written.sections[second_edges]);
        fix_end(repeated);
        CHECK(contains(load_error(encode(repeated), options), differ));
        // ...or after it, where no OBJS section claims it.
        RawFile trailing = written;
        trailing.sections.insert(trailing.sections.begin() + static_cast<std::ptrdiff_t>(objects) + 1,
                                 written.sections[second_edges]);
        fix_end(trailing);
        CHECK(contains(load_error(encode(trailing), options),
                       "test.hds: corrupted: edges after the last object chunk belong to no object"));
    }
}
