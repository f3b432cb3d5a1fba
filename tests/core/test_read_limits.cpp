// Decompression bombs: a file's sections may claim, in all, only what its size allows
// (read_limits: an allowance plus a ratio times the size, for decompressed bytes,
// objects, edges and other table rows). zstd inflates up to ~32,768x, so an 8 KB file
// can hold a well-formed section of 256 MiB; before these limits, `summary` on one took
// 1.9 GB and ten of them in an 83 KB file more than 8 GB. Each is now refused with one
// line before anything is allocated for it.
#include <doctest/doctest.h>

#include "allocation_watch.h"
#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "heapdiff/heap_bound.h"
#include "payloads.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

constexpr std::size_t kSmallAllocation = 1u << 20;

// The count `rows`, then `size` zero bytes (every column of every row 0, which is a
// valid row of each table: address delta 0, type 0, no edges, no value).
Bytes zero_rows(std::uint64_t rows, std::size_t size) {
    ByteWriter w;
    w.varint(rows);
    Bytes payload = w.buffer();
    payload.resize(payload.size() + size, 0);
    return payload;
}

// Header, `copies` times one encoded section (compressed once: the payloads of these
// files would take gigabytes to hold), and an END section counting them.
Bytes repeated(const RawSection& section, std::size_t copies, std::uint64_t objects_each = 0) {
    Bytes out = file_header(format::kMajor, format::kMinor, format::kHeaderSize);
    const Bytes encoded = encode_section(section);
    for (std::size_t i = 0; i < copies; ++i) out.insert(out.end(), encoded.begin(), encoded.end());
    RawSection end;
    end.tag = format::kEnd;
    end.payload = end_payload(objects_each * copies, 0, copies);
    const Bytes end_bytes = encode_section(end);
    out.insert(out.end(), end_bytes.begin(), end_bytes.end());
    return out;
}

// Refused with the bomb's line, for every way of loading, without a large allocation.
void check_bomb_refused(const Bytes& bytes, const std::string& claim, const std::string& where) {
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
        AllocationWatch watch;
        std::string message = load_error(bytes, options);
        CAPTURE(message);
        CHECK(message.find("test.hds: corrupted: it claims more " + claim + " than its " +
                           std::to_string(bytes.size()) + " bytes can hold") == 0);
        CHECK(message.find(where) != std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
        CHECK(watch.largest() < kSmallAllocation);
    }
}

}  // namespace

TEST_CASE("the limits are an allowance plus a ratio times the file size") {
    ReadLimits small = read_limits(8192);
    CHECK(small.decompressed == format::kDecompressedAllowance + format::kMaxCompressionRatio * 8192);
    CHECK(small.objects == format::kObjectAllowance + format::kMaxObjectsPerFileByte * 8192);
    CHECK(small.edges == format::kEdgeAllowance + format::kMaxEdgesPerFileByte * 8192);
    CHECK(small.table_rows == format::kTableRowAllowance + format::kMaxTableRowsPerFileByte * 8192);
    ReadLimits none = read_limits(0);
    CHECK(none.decompressed == format::kDecompressedAllowance);
    ReadLimits huge = read_limits(UINT64_MAX / 2);  // saturates instead of wrapping
    CHECK(huge.decompressed == UINT64_MAX);
    CHECK(huge.objects == UINT64_MAX);
}

TEST_CASE("the heap bound of a file of S bytes is FORMAT.md's: an allowance plus a figure per file byte") {
    // docs/FORMAT.md, "Memory": 89 MiB + 106,497 x S to read, 109 MiB + 133,120 x S more
    // for the analyses, from the costs per claim and the limits of a file's claims.
    for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{8192}, std::uint64_t{1} << 20}) {
        CAPTURE(size);
        CHECK(read_heap_bound(most_claims(size)) == (89ull << 20) + 106497 * size);
        CHECK(analysis_heap_bound(most_claims(size)) == (109ull << 20) + 133120 * size);
    }
    HeapClaims none;
    CHECK(read_heap_bound(none) == heap_cost::kReadAllowance);
    CHECK(read_heap_bound(most_claims(UINT64_MAX / 2)) == UINT64_MAX);  // saturates instead of wrapping
    CHECK(analysis_heap_bound(most_claims(UINT64_MAX / 2)) == UINT64_MAX);
}

TEST_CASE("an 8 KB file with one section that inflates to 256 MiB is refused unread") {
    const std::size_t size = format::kMaxSectionRaw - 16;
    Bytes bytes = repeated(section(format::kObjects, zero_rows(size / 8, size)), 1, size / 8);
    REQUIRE(bytes.size() < 16384);
    check_bomb_refused(bytes, "data", "bytes decompressed with section 1 (OBJS)");
}

TEST_CASE("ten such sections are refused at the first, by its object count") {
    // 83 KB allows 338 MB decompressed, so the first 256 MiB section fits that limit; its
    // 33 million objects do not fit the object limit, and its count is read from the
    // frame's first bytes before the payload gets a buffer.
    const std::size_t size = format::kMaxSectionRaw - 16;
    Bytes bytes = repeated(section(format::kObjects, zero_rows(size / 8, size)), 10, size / 8);
    REQUIRE(read_limits(bytes.size()).decompressed > size);
    check_bomb_refused(bytes, "objects", "with section 1 (OBJS)");
}

TEST_CASE("bombs of every table are refused before their rows are stored") {
    const std::size_t size = 64u << 20;
    check_bomb_refused(repeated(section(format::kEdges, zero_rows(size / 3, size)), 8), "edges", "(EDGE)");
    check_bomb_refused(repeated(section(format::kStrings, zero_rows(size, size)), 8), "table rows", "(STRS)");
    check_bomb_refused(repeated(section(format::kFacts, zero_rows(size / 3, size)), 8), "table rows", "(FACT)");
    // A count inside the payload (a thread's frames) is held to the same limit when read;
    // by then only the payload's buffer exists (900 KB: within the data allowance).
    const std::uint64_t frames = 900000;
    ByteWriter roots;
    roots.varint(0);  // modules
    roots.varint(1);  // one thread
    roots.varint(7);  // its id
    roots.varint(frames);
    Bytes thread = roots.buffer();
    thread.resize(frames + 8, 0);
    Bytes bytes = repeated(section(format::kRoots, thread), 1);
    AllocationWatch watch;
    std::string message = load_error(bytes);
    CHECK(message.find("claims more table rows than") != std::string::npos);
    CHECK(watch.largest() <= thread.size() + 64);
}

TEST_CASE("the totals over all sections are held to the limits, not each section alone") {
    // One million objects per section is within what one such section's bytes allow, two
    // millions are not: refused at the second section, with the first one's columns the
    // largest allocations (8 MB each; edge_begin, grown by doubling, 16 MB).
    const std::size_t rows = 1u << 20;
    Bytes bytes = repeated(section(format::kObjects, zero_rows(rows, rows * 8)), 40, rows);
    REQUIRE(read_limits(bytes.size()).objects >= rows);
    REQUIRE(read_limits(bytes.size()).objects < 2 * rows);
    AllocationWatch watch;
    std::string message = load_error(bytes);
    CAPTURE(message);
    CHECK(message.find("claims more objects than its " + std::to_string(bytes.size()) + " bytes can hold (2097152 " +
                       "objects with section 2 (OBJS)") != std::string::npos);
    CHECK(watch.largest() <= 16 * rows);

    // Optional sections of a newer minor are skipped, never decompressed, but what they
    // claim counts: 2 MiB each, 100 of them in a 7 KB file.
    RawSection optional = section(format::tag("NEW!"), Bytes(2u << 20, 0));
    optional.flags = 0;
    Bytes skipped = repeated(optional, 100);
    AllocationWatch watch_skipped;
    message = load_error(skipped);
    const std::uint64_t allowed = read_limits(skipped.size()).decompressed;
    const std::string expected_section = std::to_string(allowed / (2u << 20) + 1);
    CHECK(message.find("claims more data than its " + std::to_string(skipped.size()) + " bytes can hold") !=
          std::string::npos);
    CHECK(message.find("with section " + expected_section + " (NEW!)") != std::string::npos);
    CHECK(watch_skipped.largest() < kSmallAllocation);
}

TEST_CASE("a heap of many copies of one structure, the most compressible kind, still loads") {
    // 2,000 lists of 500 references to one object: every EDGE payload repeats itself
    // exactly, which zstd compresses hundreds of times over (real ones measured up to
    // 954x over a whole file, docs/FORMAT.md); far within the limits.
    Snapshot s;
    s.types.push_back({s.strings.add("builtins.list"), 0x10, 0, StringId()});
    s.edge_begin.push_back(0);
    s.value_offset.push_back(0);
    for (std::uint64_t i = 0; i < 2000; ++i) {
        s.address.push_back(0x100000 + 64 * i);
        s.type.push_back(TypeId(1));
        s.size.push_back(4056);
        s.refcount.push_back(1);
        s.flags.push_back(1);
        s.traceback.push_back(TracebackId());
        for (std::uint64_t k = 0; k < 500; ++k) {
            s.edge_target.push_back(0x9000);
            s.edge_kind.push_back(EdgeKind::Index);
            s.edge_arg.push_back(k);
        }
        s.edge_begin.push_back(s.edge_target.size());
        s.value_offset.push_back(0);
    }
    Bytes bytes = snapshot_bytes(s);
    std::uint64_t decompressed = 0;
    for (const SectionSpan& span : section_spans(bytes)) decompressed += span.raw_size;
    CHECK(decompressed > 100 * bytes.size());  // as repetitive as real heaps get
    Snapshot loaded = load(bytes);
    CHECK(loaded.object_count() == 2000);
    CHECK(loaded.edge_target.size() == 1000000);
}
