// The snapshot file format, version 1. docs/FORMAT.md is the prose version of this file;
// change both together.
//
//   file    := header section* end-section
//   header  := magic "HEAPDIFF" (8 bytes) | u16 major | u16 minor | u32 header_size (=16)
//   section := tag u32 | flags u32 | stored_size u64 | raw_size u64 | check u32 | payload
//              (little-endian; check = FNV-1a 32 of the 24 bytes before it;
//               payload = one zstd frame of stored_size bytes, with content size and
//               content checksum, that decompresses to exactly raw_size bytes)
//
// Sections with the same tag concatenate: tables are append-only and ids continue
// across sections, so the writer can flush any table whenever its buffer fills.
// A reader skips a section whose tag it does not know unless its flags say required.
//
// Objects and edges: an object chunk is zero or more EDGE sections, then one OBJS
// section. EDGE sections only append edges (each decodes on its own: its targets are
// deltas against the previous target of the same section); the OBJS section's
// per-object edge counts then share out, in object order, exactly the edges appended
// since the previous OBJS section. So one object's edges may span any number of EDGE
// sections, and no edge may be left over at the END section.
#pragma once

#include <cstdint>

namespace heapdiff::format {

constexpr char kMagic[8] = {'H', 'E', 'A', 'P', 'D', 'I', 'F', 'F'};
constexpr std::uint16_t kMajor = 1;  // a reader refuses a larger major
constexpr std::uint16_t kMinor = 2;  // a larger minor only adds optional sections (1.1: TRBL; 1.2: the memory map)
constexpr std::uint32_t kHeaderSize = 16;
constexpr std::uint32_t kSectionHeaderSize = 28;
// No section may claim more than this decompressed: a corrupted size cannot make the
// reader allocate gigabytes. The writer keeps every section far below it (it flushes
// OBJS and EDGE sections at a quarter of it, see WriterOptions).
constexpr std::uint64_t kMaxSectionRaw = 256ull << 20;

// What a file of S bytes may claim in all, over all its sections together (read_limits()
// in reader.h applies them; docs/FORMAT.md, "Limits", has the measurements behind them):
// zstd inflates at most ~32,768x, so without these an 8 KB file can claim 256 MiB and a
// few repeated sections gigabytes. Real snapshots stay far below them: the most
// repetitive heap measured (20,000 copies of one 5,000-item dict) compresses 954x; the
// most edges per file byte measured is 183 (20,000 lists of 5,000 references to one
// object), the most objects 8.9 (five million self-referencing lists).
constexpr std::uint64_t kDecompressedAllowance = 1ull << 20;  // bytes, whatever the size
constexpr std::uint64_t kMaxCompressionRatio = 4096;          // decompressed bytes per file byte
constexpr std::uint64_t kObjectAllowance = 1ull << 16;
constexpr std::uint64_t kMaxObjectsPerFileByte = 128;
constexpr std::uint64_t kEdgeAllowance = 1ull << 20;
constexpr std::uint64_t kMaxEdgesPerFileByte = 1024;
// Rows of the other tables: strings, types, tracebacks and their frames, trace stats,
// module and thread roots and their frames, facts (each up to ~90 bytes in memory from
// as little as 1 byte of payload). Real snapshots hold well under one per file byte.
constexpr std::uint64_t kTableRowAllowance = 1ull << 16;
constexpr std::uint64_t kMaxTableRowsPerFileByte = 64;

constexpr std::uint32_t tag(const char (&s)[5]) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[3])) << 24;
}

// Section tags. Payload layouts are in docs/FORMAT.md and in writer.cpp/reader.cpp,
// which encode and decode them with the paired ByteWriter/ByteReader helpers.
constexpr std::uint32_t kStrings = tag("STRS");
constexpr std::uint32_t kTypes = tag("TYPE");
constexpr std::uint32_t kObjects = tag("OBJS");  // a chunk of objects; claims the EDGEs before it
constexpr std::uint32_t kEdges = tag("EDGE");    // edges of the next OBJS section's objects
constexpr std::uint32_t kTracebacks = tag("TRBK");
constexpr std::uint32_t kTraceStats = tag("TRAC");
constexpr std::uint32_t kTraceBlocks = tag("TRBL");  // optional (1.1): every traced block
// The memory map (1.2, optional): the process's mappings, pymalloc's arenas and size
// classes, glibc malloc's arenas. Its scalar figures are facts (docs/FORMAT.md).
constexpr std::uint32_t kMappings = tag("MAPS");
constexpr std::uint32_t kPymallocArenas = tag("PYAR");
constexpr std::uint32_t kPymallocClasses = tag("PYSC");
constexpr std::uint32_t kMallocArenas = tag("MALA");
constexpr std::uint32_t kRoots = tag("ROOT");
constexpr std::uint32_t kFacts = tag("FACT");
constexpr std::uint32_t kEnd = tag("END ");

constexpr std::uint32_t kSectionRequired = 1u << 0;

// The flags a writer gives a section. TRBL only adds detail (which traced blocks are
// alive, for following blocks across snapshots) and so does the memory map (what the
// process's memory was made of): a reader that skips them still reads the snapshot
// right, so they are written without the required flag.
constexpr bool optional_section(std::uint32_t section_tag) {
    return section_tag == kTraceBlocks || section_tag == kMappings || section_tag == kPymallocArenas ||
           section_tag == kPymallocClasses || section_tag == kMallocArenas;
}
constexpr std::uint32_t section_flags(std::uint32_t section_tag) {
    return optional_section(section_tag) ? 0 : kSectionRequired;
}

// A mapping's permissions (Mapping::perms), as smaps prints them.
namespace mapping_perm {
constexpr std::uint8_t kRead = 1u << 0;
constexpr std::uint8_t kWrite = 1u << 1;
constexpr std::uint8_t kExec = 1u << 2;
constexpr std::uint8_t kShared = 1u << 3;  // 's' rather than 'p'
}  // namespace mapping_perm

// Object flags, one byte per object.
namespace object_flag {
constexpr std::uint8_t kGcTracked = 1u << 0;
constexpr std::uint8_t kGenerationShift = 1;   // bits 1-2: gc generation 0..2, 3 = unknown
constexpr std::uint8_t kGenerationMask = 3u << 1;
constexpr std::uint8_t kSizeApproximate = 1u << 3;  // user __sizeof__ not run: basic size used
constexpr std::uint8_t kImmortal = 1u << 4;         // refcount is the immortal sentinel
constexpr std::uint8_t kHasFinalizer = 1u << 5;     // its type defines __del__ / tp_finalize
constexpr std::uint8_t kInGcGarbage = 1u << 6;      // listed in gc.garbage
constexpr std::uint8_t kValueCut = 1u << 7;         // display value is a prefix (long str/bytes)
}  // namespace object_flag

// Type flags.
namespace type_flag {
constexpr std::uint32_t kHeapType = 1u << 0;   // defined in Python (class statement)
constexpr std::uint32_t kHasFinalizer = 1u << 1;
}  // namespace type_flag

// Fact value kinds.
enum class FactKind : std::uint8_t { Int = 1, Float = 2, String = 3 };

}  // namespace heapdiff::format
