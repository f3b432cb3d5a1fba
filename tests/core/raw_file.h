// The snapshot container rebuilt independently of writer.cpp, from the layout in
// format.h / docs/FORMAT.md: header, then sections of (tag, flags, sizes, FNV-1a check,
// zstd frame). Tests use it to take a valid file apart, change one thing, and put it
// back together with every checksum still right, so that the reader's *semantic* checks
// are what is tested rather than the checksums in front of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "heapdiff/format.h"

namespace heapdiff::test {

using Bytes = std::vector<std::uint8_t>;

struct RawSection {
    std::uint32_t tag = 0;
    std::uint32_t flags = format::kSectionRequired;
    Bytes payload;  // decompressed
};

struct RawFile {
    std::uint16_t major = format::kMajor;
    std::uint16_t minor = format::kMinor;
    std::uint32_t header_size = format::kHeaderSize;
    std::vector<RawSection> sections;  // the END section included, last
};

// Where each section sits in an encoded file (for flipping or cutting exact bytes).
struct SectionSpan {
    std::uint32_t tag = 0;
    std::uint32_t flags = 0;
    std::size_t header_offset = 0;   // the 28-byte section header
    std::size_t payload_offset = 0;  // the zstd frame
    std::uint64_t stored_size = 0;
    std::uint64_t raw_size = 0;
};

std::uint32_t fnv1a32(const std::uint8_t* data, std::size_t n);
Bytes zstd_frame(const Bytes& raw);  // one frame with content size and checksum
Bytes file_header(std::uint16_t major, std::uint16_t minor, std::uint32_t header_size);
// A section header with a correct check field, for sizes that need not be true.
Bytes section_header(std::uint32_t tag, std::uint32_t flags, std::uint64_t stored, std::uint64_t raw);
Bytes encode_section(const RawSection& section);
Bytes encode(const RawFile& file);

// Parses a file written by the real writer (throws std::runtime_error if it is not one).
std::vector<SectionSpan> section_spans(const Bytes& file);
RawFile decode(const Bytes& file);

// Index of the n-th (0-based) section with this tag; throws if absent.
std::size_t find_section(const RawFile& file, std::uint32_t tag, std::size_t n = 0);

// END payload: object count, edge count, count of the sections before END.
Bytes end_payload(std::uint64_t objects, std::uint64_t edges, std::uint64_t sections);
// Rewrites the END section to match the other sections (counts read from the first
// varint of every OBJS and EDGE payload), so an edit elsewhere is judged on its own.
void fix_end(RawFile& file);

std::string tag_text(std::uint32_t tag);

}  // namespace heapdiff::test
