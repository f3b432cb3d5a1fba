// Files whose every checksum is right but whose content does not hang together: ids
// pointing nowhere, chunks out of order, counts that disagree. Each is "corrupted".
#include <doctest/doctest.h>

#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "payloads.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::vector<RawSection> base_with(std::uint32_t tag, Bytes payload) {
    std::vector<RawSection> sections = base_sections();
    for (RawSection& s : sections)
        if (s.tag == tag) {
            s.payload = std::move(payload);
            return sections;
        }
    sections.insert(sections.begin(), section(tag, std::move(payload)));
    return sections;
}

void check_corrupted(const Bytes& bytes, const std::string& expected, LoadOptions options = {}) {
    std::string message = load_error(bytes, options);
    CHECK_MESSAGE(message.find("corrupted") != std::string::npos, message);
    CHECK_MESSAGE(message.find(expected) != std::string::npos, message);
}

const std::vector<ObjectRow> kTwoObjects = {{0x1000, 1, 64, 1, 1, 0, 2, "{}"}, {0x2000, 1, 32, 1, 0, 0, 0, "'k'"}};

std::vector<ObjectRow> two_objects_with(void (*change)(ObjectRow&)) {
    std::vector<ObjectRow> objects = kTwoObjects;
    change(objects[1]);
    return objects;
}

}  // namespace

TEST_CASE("ids that point at nothing") {
    check_corrupted(build(base_with(format::kTypes, types_payload({{3, 0xa000, 0}}))), "a type names a missing string");
    check_corrupted(build(base_with(format::kTypes, types_payload({{1ull << 32, 0xa000, 0}}))), "TYPE: id out of range");
    check_corrupted(build(base_with(format::kObjects, objects_payload(two_objects_with([](ObjectRow& o) { o.type = 2; })))),
                    "an object has an unknown type id");
    check_corrupted(
        build(base_with(format::kObjects, objects_payload(two_objects_with([](ObjectRow& o) { o.type = 1ull << 33; })))),
        "OBJS: id out of range");
    check_corrupted(
        build(base_with(format::kObjects, objects_payload(two_objects_with([](ObjectRow& o) { o.traceback = 1; })))),
        "an object has an unknown traceback id");

    ByteWriter traceback;  // one traceback, one frame in file string 9
    for (std::uint64_t v : {1, 1, 1, 9, 10}) traceback.varint(v);
    check_corrupted(build(base_with(format::kTracebacks, traceback.buffer())), "a traceback names a missing string");

    ByteWriter stat;  // one trace in traceback 4 of none
    for (std::uint64_t v : {1, 4, 0, 1, 8}) stat.varint(v);
    check_corrupted(build(base_with(format::kTraceStats, stat.buffer())), "a trace names an unknown traceback");

    ByteWriter module;  // one module root named by string 3 of 2
    for (std::uint64_t v : {1, 0x5000, 3, 0}) module.varint(v);
    check_corrupted(build(base_with(format::kRoots, module.buffer())), "a module root names a missing string");
}

TEST_CASE("edge labels that refer to nothing") {
    for (EdgeKind named : {EdgeKind::Attribute, EdgeKind::FrameLocal, EdgeKind::Field}) {
        const auto kind = static_cast<std::uint8_t>(named);
        CAPTURE(int(kind));
        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, kind, 3}}))),
                        "an edge label refers to nothing");
        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, kind, 1ull << 32 | 1}}))),
                        "an edge label refers to nothing");
        // A string that exists is fine.
        CHECK(load_error(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, kind, 2}})))).empty());
    }
    // A dict value's key is one of the same object's edges: 2 is past its two edges.
    check_corrupted(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, 2, 2}}))),
                    "an edge label refers to nothing");
    // Without edges loaded there is nothing to check.
    CHECK(load_error(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}, {0x2000, 2, 2}}))), {false, true})
              .empty());
}

TEST_CASE("edge kinds from a newer minor load as Unknown with their arg") {
    Snapshot s = load(build(base_with(format::kEdges, edges_payload({{0x2000, 10, 5}, {0x2000, 255, 6}}))));
    CHECK(s.edge_kind[0] == EdgeKind::Unknown);
    CHECK(s.edge_kind[1] == EdgeKind::Unknown);
    CHECK(s.edge_arg[0] == 5);
    CHECK(s.edge_arg[1] == 6);
}

TEST_CASE("edges split over several EDGE sections, with other sections in between") {
    // The base chunk's two edges, one per EDGE section, and a table flush between them
    // and before the OBJS section: the same snapshot.
    const Snapshot expected = load(build(base_sections()));
    std::vector<RawSection> split = base_sections();
    split[2] = section(format::kEdges, edges_payload({{0x2000, 1, 0}}));
    split.insert(split.begin() + 3, section(format::kEdges, edges_payload({{0x2000, 2, 0}})));
    split.insert(split.begin() + 3, section(format::kStrings, strings_payload({"between"})));
    split.insert(split.begin() + 5, section(format::kTypes, types_payload({{3, 0xb000, 0}})));
    REQUIRE(split[6].tag == format::kObjects);
    Snapshot s = load(build(split));
    CHECK(s.edge_begin == expected.edge_begin);
    CHECK(s.edge_target == expected.edge_target);
    CHECK(s.edge_kind == expected.edge_kind);
    CHECK(s.edge_arg == expected.edge_arg);
    check_same_objects(load(build(split), {false, false}), load(build(split)));
}

TEST_CASE("an OBJS section whose edge counts do not match the edges before it") {
    std::vector<RawSection> base = base_sections();
    const RawSection edges = base[2], objects = base[3];
    REQUIRE(edges.tag == format::kEdges);
    REQUIRE(objects.tag == format::kObjects);
    const std::string differ = "section OBJS: the objects' edge counts do not match the edges before them (";

    // Whether edges are loaded or not: both ways of loading accept the same files.
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        CAPTURE(options.edges);
        // The edges after their objects: the OBJS section finds none before it.
        std::vector<RawSection> edges_after = base;
        std::swap(edges_after[2], edges_after[3]);
        check_corrupted(build(edges_after), differ + "0)", options);

        // Too many edges before the chunk: its counts claim 2 of 4.
        std::vector<RawSection> twice = base;
        twice.insert(twice.begin() + 2, edges);
        check_corrupted(build(twice), differ + "4)", options);

        // Too few: one edge where the counts claim 2 (the sum passes it on the first object).
        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x2000, 1, 0}}))),
                        differ + "1)", options);

        // The right number of edges, shared out wrongly is still the right sum...
        std::vector<ObjectRow> rows = {{0x1000, 1, 64, 1, 1, 0, 0, "{}"}, {0x2000, 1, 32, 1, 0, 0, 2, "'k'"}};
        CHECK(load_error(build(base_with(format::kObjects, objects_payload(rows))), options).empty());
        // ...but a sum short of them is not: the counts claim 1 of 2.
        rows[1].edges = 1;
        check_corrupted(build(base_with(format::kObjects, objects_payload(rows))), differ + "2)",
                        options);

        // Edges of one chunk cannot be claimed by the next: the first OBJS must take them.
        std::vector<RawSection> claimed_late = base;
        claimed_late.insert(claimed_late.begin() + 2, section(format::kObjects, objects_payload({{0x3000, 1, 8, 1, 0, 0, 0, ""}})));
        claimed_late.insert(claimed_late.begin() + 2, edges);
        check_corrupted(build(claimed_late), differ + "2)", options);
    }
}

TEST_CASE("edges left after the last object chunk") {
    std::vector<RawSection> base = base_sections();
    const RawSection edges = base[2];
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        CAPTURE(options.edges);
        std::vector<RawSection> trailing = base;
        trailing.push_back(edges);
        check_corrupted(build(trailing), "test.hds: corrupted: edges after the last object chunk belong to no object (2)",
                        options);
        // Edges and no object chunk at all.
        check_corrupted(build({edges, section(format::kRoots, empty_roots_payload())}),
                        "edges after the last object chunk belong to no object (2)", options);
        // An EDGE section of no edges leaves nothing behind.
        trailing.back() = section(format::kEdges, edges_payload({}));
        CHECK(load_error(build(trailing), options).empty());
    }
}

TEST_CASE("edge targets are deltas within their own EDGE section") {
    // Written by hand: targets 0x2000, then 0x1ff0 (delta -0x10), then 0 - 1 (a delta that
    // wraps below zero); the next section starts again from 0, not from the previous one.
    ByteWriter first;
    first.varint(3);
    for (std::int64_t delta : {0x2000, -0x10, -0x1ff1}) first.svarint(delta);
    for (int i = 0; i < 3; ++i) first.u8(0);
    for (int i = 0; i < 3; ++i) first.varint(0);
    ByteWriter second;
    second.varint(1);
    second.svarint(0x3000);
    second.u8(0);
    second.varint(0);
    std::vector<RawSection> sections = base_sections();
    sections.insert(sections.begin() + 4, section(format::kObjects, objects_payload({{0x9000, 1, 8, 1, 0, 0, 0, ""},
                                                                                     {0x8000, 1, 8, 1, 0, 0, 4, ""}})));
    sections.insert(sections.begin() + 4, section(format::kEdges, second.buffer()));
    sections.insert(sections.begin() + 4, section(format::kEdges, first.buffer()));
    Snapshot s = load(build(sections));
    REQUIRE(s.object_count() == 4);
    CHECK(s.address[3] == 0x8000);
    CHECK(s.edge_begin == std::vector<std::uint64_t>{0, 2, 2, 2, 6});
    CHECK(s.edge_target == std::vector<std::uint64_t>{0x2000, 0x2000, 0x2000, 0x1ff0, ~0ull, 0x3000});
}

TEST_CASE("the end section disagrees with the file") {
    RawFile f;
    f.sections = base_sections();
    f.sections.push_back(section(format::kEnd, end_payload(3, 2, 5)));
    check_corrupted(encode(f), "object count differs from the end section's");
    f.sections.back().payload = end_payload(2, 1, 5);
    check_corrupted(encode(f), "edge count differs from the end section's");
    check_corrupted(encode(f), "edge count differs from the end section's", {false, false});
    f.sections.back().payload = end_payload(2, 2, 4);
    check_corrupted(encode(f), "section count differs from the end section's");
    f.sections.back().payload = end_payload(2, 2, 5);
    CHECK(load_error(encode(f)).empty());
    Bytes longer = end_payload(2, 2, 5);
    longer.push_back(0);
    f.sections.back().payload = longer;
    check_corrupted(encode(f), "section END: unexpected bytes after the section's data");
    f.sections.back().payload = {2, 2};
    check_corrupted(encode(f), "section END: data ends early");
}

TEST_CASE("a section with bytes left over after its data") {
    for (std::size_t i = 0; i < base_sections().size(); ++i) {
        std::vector<RawSection> sections = base_sections();
        CAPTURE(test::tag_text(sections[i].tag));
        sections[i].payload.push_back(0);
        check_corrupted(build(sections), "unexpected bytes after the section's data");
    }
}

TEST_CASE("an unknown fact kind") {
    Bytes fact = {1, 1, 'k', 4, 0};
    check_corrupted(build(base_with(format::kFacts, fact)), "FACT: unknown fact kind");
    fact[3] = 0;
    check_corrupted(build(base_with(format::kFacts, fact)), "FACT: unknown fact kind");
}

TEST_CASE("an empty payload in a known section") {
    for (std::uint32_t tag : {format::kStrings, format::kTypes, format::kObjects, format::kTracebacks,
                              format::kTraceStats, format::kRoots, format::kFacts}) {
        CAPTURE(test::tag_text(tag));
        std::string message = load_error(build(base_with(tag, {})));
        CHECK_MESSAGE(message.find("corrupted") != std::string::npos, message);
    }
}

TEST_CASE("a varint longer than ten bytes") {
    Bytes strings(12, 0x80);
    strings.push_back(0);
    check_corrupted(build(base_with(format::kStrings, strings)), "STRS: varint longer than 10 bytes");
}
