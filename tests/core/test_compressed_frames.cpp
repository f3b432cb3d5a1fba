// A section payload must be exactly one regular zstd frame that records its content size
// and content checksum, and decompresses to raw_size bytes. Anything else is corrupted.
#include <doctest/doctest.h>

#include <zstd.h>

#include "fixtures.h"
#include "payloads.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

Bytes frame_with(const Bytes& raw, bool checksum, bool content_size) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
    Bytes out(ZSTD_compressBound(raw.size()));
    std::size_t n = ZSTD_compress2(cctx, out.data(), out.size(), raw.data(), raw.size());
    ZSTD_freeCCtx(cctx);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

// The base file with the STRS section's stored bytes replaced by `stored`, claiming
// `raw_size` decompressed bytes.
Bytes base_with_strings_frame(const Bytes& stored, std::uint64_t raw_size) {
    std::vector<RawSection> sections = base_sections();
    Bytes file = build(sections);
    std::vector<SectionSpan> spans = section_spans(file);
    REQUIRE(spans[0].tag == format::kStrings);
    Bytes out(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(spans[0].header_offset));
    Bytes header = section_header(format::kStrings, format::kSectionRequired, stored.size(), raw_size);
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), stored.begin(), stored.end());
    out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(spans[1].header_offset), file.end());
    return out;
}

void check_corrupted(const Bytes& bytes, const std::string& expected) {
    std::string message = load_error(bytes);
    CHECK_MESSAGE(message.find("test.hds: corrupted: section STRS " + expected) != std::string::npos, message);
}

const Bytes kStrings = strings_payload({"builtins.dict", "x"});

}  // namespace

TEST_CASE("the reference frame loads") {
    CHECK(load_error(base_with_strings_frame(zstd_frame(kStrings), kStrings.size())).empty());
    CHECK(load_error(base_with_strings_frame(frame_with(kStrings, true, true), kStrings.size())).empty());
}

TEST_CASE("a frame without its content checksum") {
    check_corrupted(base_with_strings_frame(frame_with(kStrings, false, true), kStrings.size()), "has no content checksum");
}

TEST_CASE("a frame without its content size") {
    check_corrupted(base_with_strings_frame(frame_with(kStrings, true, false), kStrings.size()),
                    "is not a valid compressed block");
}

TEST_CASE("a frame whose content size is not raw_size") {
    check_corrupted(base_with_strings_frame(zstd_frame(kStrings), kStrings.size() + 1), "is not a valid compressed block");
    check_corrupted(base_with_strings_frame(zstd_frame(kStrings), kStrings.size() - 1), "is not a valid compressed block");
}

TEST_CASE("an empty payload, or bytes that are no frame") {
    check_corrupted(base_with_strings_frame({}, 0), "is not a valid compressed block");
    check_corrupted(base_with_strings_frame({}, kStrings.size()), "is not a valid compressed block");
    check_corrupted(base_with_strings_frame(Bytes(kStrings.begin(), kStrings.end()), kStrings.size()),
                    "is not a valid compressed block");
}

TEST_CASE("two frames, or a frame and more bytes") {
    Bytes two = zstd_frame(kStrings);
    Bytes again = zstd_frame(kStrings);
    two.insert(two.end(), again.begin(), again.end());
    check_corrupted(base_with_strings_frame(two, kStrings.size()), "has a damaged compressed block");
    Bytes longer = zstd_frame(kStrings);
    longer.push_back(0);
    check_corrupted(base_with_strings_frame(longer, kStrings.size()), "has a damaged compressed block");
    Bytes shorter = zstd_frame(kStrings);
    shorter.pop_back();
    std::string message = load_error(base_with_strings_frame(shorter, kStrings.size()));
    CHECK_MESSAGE(message.find("corrupted: section STRS") != std::string::npos, message);
}

TEST_CASE("a skippable frame") {
    // Magic 0x184D2A50, then a 4-byte length, then that many bytes: zstd reports content
    // size 0 for it, so it could pass as an empty payload.
    Bytes skippable = {0x50, 0x2A, 0x4D, 0x18, 1, 0, 0, 0, 0};
    std::string message = load_error(base_with_strings_frame(skippable, 0));
    CHECK_MESSAGE(message.find("corrupted: section STRS") != std::string::npos, message);
}

TEST_CASE("a frame whose content checksum does not match") {
    Bytes frame = zstd_frame(kStrings);
    frame.back() ^= 1;  // the last 4 bytes are the checksum
    check_corrupted(base_with_strings_frame(frame, kStrings.size()), "fails its checksum or decompression");
}

TEST_CASE("an object chunk of zero objects, an EDGE section of zero edges") {
    std::vector<RawSection> sections = base_sections();
    // STRS TYPE | EDGE(0) OBJS(0) | EDGE(0) EDGE OBJS | ROOT
    sections.insert(sections.begin() + 3, section(format::kEdges, edges_payload({})));
    sections.insert(sections.begin() + 2, section(format::kObjects, objects_payload({})));
    sections.insert(sections.begin() + 2, section(format::kEdges, edges_payload({})));
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        Snapshot s = load(build(sections), options);
        CHECK(s.object_count() == 2);
        if (options.edges) CHECK(s.edge_begin == std::vector<std::uint64_t>{0, 2, 2});
    }
    // And files whose only chunk is empty, with or without an empty EDGE section.
    CHECK(load(build({section(format::kObjects, objects_payload({}))})).object_count() == 0);
    Snapshot empty = load(build({section(format::kEdges, edges_payload({})), section(format::kObjects, objects_payload({}))}));
    CHECK(empty.object_count() == 0);
    CHECK(empty.edge_begin == std::vector<std::uint64_t>{0});
}
