// Counts and sizes in a file are claims, not facts. A claim larger than the bytes that
// back it is refused before anything is allocated for it: no test here may make the
// reader ask for more than a megabyte at once.
#include <doctest/doctest.h>

#include "allocation_watch.h"
#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "payloads.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

constexpr std::uint64_t kHuge = 1ull << 61;
constexpr std::size_t kAllocationLimit = 1u << 20;

Bytes varints(std::initializer_list<std::uint64_t> values, Bytes tail = {}) {
    ByteWriter w;
    for (std::uint64_t v : values) w.varint(v);
    w.raw(tail.data(), tail.size());
    return w.buffer();
}

// The base file with section `tag` given this payload instead.
Bytes base_with(std::uint32_t tag, Bytes payload) {
    std::vector<RawSection> sections = base_sections();
    bool replaced = false;
    for (RawSection& s : sections)
        if (s.tag == tag && !replaced) {
            s.payload = std::move(payload);
            replaced = true;
        }
    if (!replaced) sections.insert(sections.begin(), section(tag, std::move(payload)));
    return build(std::move(sections));
}

void check_refused_cheaply(const Bytes& bytes, const std::string& expected) {
    AllocationWatch watch;
    std::string message = load_error(bytes);
    CHECK_MESSAGE(message.find(expected) != std::string::npos, message);
    CHECK(watch.largest() < kAllocationLimit);
    // Without edges and values, damage inside an EDGE payload is not decoded, so it may
    // go unnoticed; what matters here is that it costs nothing.
    AllocationWatch watch_light;
    load_error(bytes, {false, false});
    CHECK(watch_light.largest() < kAllocationLimit);
}

}  // namespace

TEST_CASE("the base file of these tests loads") {
    Snapshot s = load(build(base_sections()));
    CHECK(s.object_count() == 2);
    CHECK(s.edge_target.size() == 2);
    CHECK(s.edge_target[0] == 0x2000);
    CHECK(s.value(1) == "'k'");
}

TEST_CASE("table counts larger than their data") {
    const std::string why = "corrupted snapshot: test.hds: section ";
    check_refused_cheaply(base_with(format::kStrings, varints({kHuge, 1, 'a'})), why + "STRS: count larger than its data");
    check_refused_cheaply(base_with(format::kTypes, varints({kHuge, 1, 2, 3})), why + "TYPE: count larger than its data");
    check_refused_cheaply(base_with(format::kObjects, varints({kHuge, 0, 0, 0, 0, 0, 0, 0, 0})),
                          why + "OBJS: count larger than its data");
    check_refused_cheaply(base_with(format::kTracebacks, varints({kHuge, 1, 0})), "TRBK: count larger than its data");
    check_refused_cheaply(base_with(format::kTraceStats, varints({kHuge, 0, 0, 0, 0})), "TRAC: count larger than its data");
    check_refused_cheaply(base_with(format::kFacts, varints({kHuge, 0, 1, 0})), "FACT: count larger than its data");
    check_refused_cheaply(base_with(format::kRoots, varints({kHuge, 0, 0})), "ROOT: count larger than its data");
    check_refused_cheaply(base_with(format::kRoots, varints({0, kHuge, 0, 0})), "ROOT: count larger than its data");
}

TEST_CASE("nested counts larger than their data") {
    // A traceback claiming 2^61 frames, a thread root claiming 2^61 frames.
    check_refused_cheaply(base_with(format::kTracebacks, varints({1, 5, kHuge, 1, 1})), "TRBK: count larger than its data");
    check_refused_cheaply(base_with(format::kRoots, varints({0, 1, 7, kHuge, 1})), "ROOT: count larger than its data");
}

TEST_CASE("the edge count of an EDGE section larger than its data") {
    Bytes edges = edges_payload({{0x1000, 1, 0}, {0x1000, 2, 0}});
    edges[0] = 0;  // rewritten below with a huge count
    ByteWriter w;
    w.varint(kHuge);
    w.raw(edges.data() + 1, edges.size() - 1);
    check_refused_cheaply(base_with(format::kEdges, w.buffer()), "EDGE: count larger than its data");
}

TEST_CASE("string and display-value lengths larger than their data") {
    check_refused_cheaply(base_with(format::kStrings, varints({1, kHuge}, {'a', 'b'})), "STRS: data ends early");
    check_refused_cheaply(base_with(format::kFacts, varints({1, kHuge}, {'k'})), "FACT: data ends early");
    Bytes fact = varints({1, 1}, {'k', static_cast<std::uint8_t>(format::FactKind::String)});
    Bytes long_value = varints({kHuge}, {'v'});
    fact.insert(fact.end(), long_value.begin(), long_value.end());
    check_refused_cheaply(base_with(format::kFacts, fact), "FACT: data ends early");

    std::vector<ObjectRow> objects = {{0x1000, 1, 64, 1, 1, 0, 2, "{}"}, {0x2000, 1, 32, 1, 0, 0, 0, "'k'"}};
    Bytes good = objects_payload(objects);
    // The value lengths sit just before the value bytes "{}'k'": claim 2^61 for one.
    Bytes lying(good.begin(), good.end() - 5 - 2);
    ByteWriter lengths;
    lengths.varint(kHuge);
    lengths.varint(3);
    lying.insert(lying.end(), lengths.buffer().begin(), lengths.buffer().end());
    lying.insert(lying.end(), good.end() - 5, good.end());
    check_refused_cheaply(base_with(format::kObjects, lying), "OBJS: display values run past the section");
    // Two lengths that each fit but together do not.
    lying.assign(good.begin(), good.end() - 5 - 2);
    lying.push_back(4);
    lying.push_back(4);
    lying.insert(lying.end(), good.end() - 5, good.end());
    check_refused_cheaply(base_with(format::kObjects, lying), "OBJS: display values run past the section");
}

TEST_CASE("per-object edge counts whose sum wraps around") {
    // 2^64-1 edges for the first object and 2 for the second add up to 1 in 64 bits,
    // which matches the one edge before them. The counts must be refused, not trusted,
    // with or without edges (the second load of check_refused_cheaply).
    Bytes bytes = build({
        section(format::kStrings, strings_payload({"builtins.dict"})),
        section(format::kTypes, types_payload({{1, 0xa000, 0}})),
        section(format::kEdges, edges_payload({{0x2000, 0, 0}})),
        section(format::kObjects, objects_payload({{0x1000, 1, 64, 1, 0, 0, ~0ull, ""}, {0x2000, 1, 32, 1, 0, 0, 2, ""}})),
        section(format::kRoots, empty_roots_payload()),
    });
    check_refused_cheaply(bytes, "OBJS: the objects' edge counts do not match the edges before them (1)");
    CHECK(load_error(bytes, {false, false}).find("OBJS: the objects' edge counts do not match") != std::string::npos);
}

TEST_CASE("edge counts far beyond the edges in the file") {
    // One object claiming 2^61 edges after a few real ones: refused before edge_begin or
    // anything else is sized by the claim.
    Bytes bytes = build({
        section(format::kEdges, edges_payload({{0x2000, 0, 0}, {0x3000, 0, 0}})),
        section(format::kObjects, objects_payload({{0x1000, 0, 64, 1, 0, 0, kHuge, ""}})),
    });
    check_refused_cheaply(bytes, "OBJS: the objects' edge counts do not match the edges before them (2)");
    CHECK(load_error(bytes, {false, false}).find("OBJS: the objects' edge counts do not match") != std::string::npos);
}

TEST_CASE("section sizes larger than the file or the format allows") {
    Bytes header = file_header(format::kMajor, format::kMinor, format::kHeaderSize);
    auto with_section = [&](std::uint64_t stored, std::uint64_t raw) {
        Bytes b = header;
        Bytes s = section_header(format::kStrings, format::kSectionRequired, stored, raw);
        b.insert(b.end(), s.begin(), s.end());
        Bytes frame = zstd_frame(strings_payload({"a"}));
        b.insert(b.end(), frame.begin(), frame.end());
        return b;
    };
    check_refused_cheaply(with_section(kHuge, 3), "truncated: section STRS needs");
    check_refused_cheaply(with_section(~0ull, 3), "truncated: section STRS needs");
    check_refused_cheaply(with_section(zstd_frame(strings_payload({"a"})).size(), format::kMaxSectionRaw + 1),
                          "corrupted: section STRS claims too much data");
    check_refused_cheaply(with_section(zstd_frame(strings_payload({"a"})).size(), ~0ull), "claims too much data");
    // Within the limits (kMaxSectionRaw, and what the file's size allows: read_limits),
    // but not what the frame holds: refused before the buffer is made.
    check_refused_cheaply(with_section(zstd_frame(strings_payload({"a"})).size(), 100000),
                          "corrupted: section STRS is not a valid compressed block");
    // An unknown optional section is not decompressed, but its claims are still checked.
    Bytes b = header;
    Bytes s = section_header(format::tag("NEW!"), 0, 4, format::kMaxSectionRaw + 1);
    b.insert(b.end(), s.begin(), s.end());
    b.insert(b.end(), {0, 0, 0, 0});
    check_refused_cheaply(b, "claims too much data");
}

TEST_CASE("a header size larger than the file") {
    check_refused_cheaply(file_header(format::kMajor, format::kMinor, 0xFFFFFFFFu), "truncated: the header is incomplete");
}
