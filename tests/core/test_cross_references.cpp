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
        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}, {0x1000, kind, 3}}))),
                        "an edge label refers to nothing");
        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}, {0x1000, kind, 1ull << 32 | 1}}))),
                        "an edge label refers to nothing");
        // A string that exists is fine.
        CHECK(load_error(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}, {0x1000, kind, 2}})))).empty());
    }
    // A dict value's key is one of the same object's edges: 2 is past its two edges.
    check_corrupted(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}, {0x1000, 2, 2}}))),
                    "an edge label refers to nothing");
    // Without edges loaded there is nothing to check.
    CHECK(load_error(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}, {0x1000, 2, 2}}))), {false, true})
              .empty());
}

TEST_CASE("edge kinds from a newer minor load as Unknown with their arg") {
    Snapshot s = load(build(base_with(format::kEdges, edges_payload({{0x1000, 10, 5}, {0x1000, 255, 6}}))));
    CHECK(s.edge_kind[0] == EdgeKind::Unknown);
    CHECK(s.edge_kind[1] == EdgeKind::Unknown);
    CHECK(s.edge_arg[0] == 5);
    CHECK(s.edge_arg[1] == 6);
}

TEST_CASE("object and edge chunks out of step") {
    std::vector<RawSection> base = base_sections();
    const RawSection objects = base[2], edges = base[3];

    // Whether edges are loaded or not: both ways of loading accept the same files.
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        CAPTURE(options.edges);
        std::vector<RawSection> edges_first = base;
        std::swap(edges_first[2], edges_first[3]);
        check_corrupted(build(edges_first), "section EDGE: an edge chunk without its object chunk", options);

        std::vector<RawSection> two_edge_chunks = base;
        two_edge_chunks.insert(two_edge_chunks.begin() + 4, edges);
        check_corrupted(build(two_edge_chunks), "section EDGE: an edge chunk without its object chunk", options);

        std::vector<RawSection> no_edges_between = base;
        no_edges_between[3] = objects;
        no_edges_between.insert(no_edges_between.begin() + 4, edges);
        check_corrupted(build(no_edges_between), "section OBJS: an object chunk is missing its edge chunk", options);

        std::vector<RawSection> last_without_edges = base;
        last_without_edges.erase(last_without_edges.begin() + 3);
        check_corrupted(build(last_without_edges), "the last object chunk has no edge chunk", options);

        check_corrupted(build(base_with(format::kEdges, edges_payload({{0x1000, 1, 0}}))),
                        "section EDGE: edge count differs from the object chunk's", options);
    }
}

TEST_CASE("edges resolve against their own object's address") {
    // The second chunk's edges are relative to the second chunk's objects.
    std::vector<RawSection> sections = base_sections();
    sections.insert(sections.begin() + 4, section(format::kObjects, objects_payload({{0x9000, 1, 8, 1, 0, 0, 0, ""},
                                                                                     {0x8000, 1, 8, 1, 0, 0, 1, ""}})));
    sections.insert(sections.begin() + 5, section(format::kEdges, edges_payload({{-0x10, 0, 0}})));
    Snapshot s = load(build(sections));
    REQUIRE(s.object_count() == 4);
    CHECK(s.address[3] == 0x8000);
    CHECK(s.edge_begin == std::vector<std::uint64_t>{0, 2, 2, 2, 3});
    CHECK(s.edge_target[2] == 0x7ff0);
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
