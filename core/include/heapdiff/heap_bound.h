// How much heap reading a snapshot, and analysing it, may take (docs/FORMAT.md, "Memory"):
// a fixed allowance plus a cost per thing the file claimed. With read_limits() bounding
// the claims by the file's size, both are bounded per input byte, so no file (a bomb
// included) can make heapdiff take more than a known multiple of its size. The reader's
// fuzz target (tests/fuzz/fuzz_reader.cpp) measures the heap of every load and asserts
// these bounds; the costs are its measurements with a margin (FORMAT.md says which).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "heapdiff/reader.h"

namespace heapdiff {

// What one file claimed, or may claim at most (most_claims).
struct HeapClaims {
    std::uint64_t file_bytes = 0;
    std::uint64_t decompressed = 0;  // every section's raw_size, skipped ones too
    std::uint64_t objects = 0;
    std::uint64_t edges = 0;
    std::uint64_t table_rows = 0;    // strings, types, tracebacks, frames, trace stats, roots, facts
};

namespace heap_cost {
// Reading (read_snapshot): the zstd context and the reader's own state; the file's bytes
// of one section at a time; a section's decompressed bytes, then the strings and values
// kept from them; the columns of an object (address, type, size, refcount, flags,
// traceback, value and edge offsets: 49 bytes) and of an edge (17 bytes), as a vector
// grows (twice the size, and the old block while it moves); a table row.
constexpr std::uint64_t kReadAllowance = 4ull << 20;
constexpr std::uint64_t kReadPerFileByte = 1;
constexpr std::uint64_t kReadPerDecompressedByte = 3;
constexpr std::uint64_t kReadPerObject = 160;
constexpr std::uint64_t kReadPerEdge = 56;
constexpr std::uint64_t kReadPerTableRow = 256;
// The analyses on a loaded snapshot (summary, the address index, the heap graph both
// ways, cyclic trash, the dominator tree and retained sizes, chains): per object and per
// edge, and per table row (the summary's row per type).
constexpr std::uint64_t kAnalysisAllowance = 4ull << 20;
constexpr std::uint64_t kAnalysisPerObject = 400;
constexpr std::uint64_t kAnalysisPerEdge = 64;
constexpr std::uint64_t kAnalysisPerTableRow = 256;
}  // namespace heap_cost

namespace detail {
// bound + cost * count, saturating: the most a huge size may claim is UINT64_MAX.
inline std::uint64_t add_cost(std::uint64_t bound, std::uint64_t cost, std::uint64_t count) {
    if (count != 0 && cost > (UINT64_MAX - bound) / count) return UINT64_MAX;
    return bound + cost * count;
}
}  // namespace detail

// The most a file of file_bytes bytes may claim: read_limits() of its size.
inline HeapClaims most_claims(std::uint64_t file_bytes) {
    const ReadLimits limits = read_limits(file_bytes);
    HeapClaims c;
    c.file_bytes = file_bytes;
    c.decompressed = limits.decompressed;
    c.objects = limits.objects;
    c.edges = limits.edges;
    c.table_rows = limits.table_rows;
    return c;
}

// Bytes of heap that reading a file with these claims takes at most, at its highest.
inline std::uint64_t read_heap_bound(const HeapClaims& c) {
    using namespace heap_cost;
    std::uint64_t b = kReadAllowance;
    for (auto [cost, count] : {std::pair{kReadPerFileByte, c.file_bytes}, {kReadPerDecompressedByte, c.decompressed},
                               {kReadPerObject, c.objects}, {kReadPerEdge, c.edges}, {kReadPerTableRow, c.table_rows}})
        b = detail::add_cost(b, cost, count);
    return b;
}

// Bytes of heap that the analyses of a loaded snapshot take at most, above the snapshot.
inline std::uint64_t analysis_heap_bound(const HeapClaims& c) {
    using namespace heap_cost;
    std::uint64_t b = kAnalysisAllowance;
    for (auto [cost, count] :
         {std::pair{kAnalysisPerObject, c.objects}, {kAnalysisPerEdge, c.edges}, {kAnalysisPerTableRow, c.table_rows}})
        b = detail::add_cost(b, cost, count);
    return b;
}

}  // namespace heapdiff
