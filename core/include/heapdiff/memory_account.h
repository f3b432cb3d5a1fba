// Where a process's resident memory went: the snapshot's memory map (its mappings,
// pymalloc's arenas, malloc's figures) turned into an account of RSS by named category,
// Redis INFO-style, that adds up to the RSS the mappings report. Region totals come from
// the kernel (smaps, mincore) and are exact; the splits inside a region (objects against
// free space, Python's blocks against native ones) come from the allocators' own figures
// and are marked estimated. docs/MEMORY.md says what each figure means.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

enum class MemoryCategory : std::uint8_t {
    Objects,        // Python objects, walked and unreferenced: the sum of their sizes
    PymallocFree,   // resident in pymalloc's arenas, in no allocated block: fragmentation
    PymallocOther,  // pymalloc (and, when tracemalloc traces, PyMem) blocks that are no object
    Native,         // malloc in use that no Python object explains: C extensions, libraries
    MallocFree,     // resident in malloc's heaps but free: held by the allocator, not returned
    Mmaps,          // other anonymous mappings: mmap.mmap, a library's own mmaps
    MappedFiles,    // file-backed mappings of data files
    Stacks,         // the main thread's and the threads' stacks
    Code,           // executables and shared libraries: code, constants, their data
    Other,          // what no category above claims (vdso, page tables are not in RSS)
};
constexpr std::size_t kMemoryCategories = 10;
constexpr std::array<MemoryCategory, kMemoryCategories> kAllMemoryCategories = {
    MemoryCategory::Objects,     MemoryCategory::PymallocFree, MemoryCategory::PymallocOther, MemoryCategory::Native,
    MemoryCategory::MallocFree,  MemoryCategory::Mmaps,        MemoryCategory::MappedFiles,   MemoryCategory::Stacks,
    MemoryCategory::Code,        MemoryCategory::Other};

std::string_view category_key(MemoryCategory c);    // "objects", "pymalloc_free", ... (JSON)
std::string_view category_title(MemoryCategory c);  // "Python objects", ... (text)

// What a mapping of smaps is, for the account.
enum class MappingKind : std::uint8_t { MallocHeap, Stack, Code, MappedFile, Anonymous, Other };
constexpr std::size_t kMappingKinds = 6;
std::string_view mapping_kind_name(MappingKind k);

// One kind per mapping of `snapshot.mappings`. [heap] and glibc's per-thread heaps (64 MiB
// aligned, followed by their reserve) are malloc heaps; [stack] and anonymous mappings just
// above a guard page are stacks; files with an executable mapping are code.
std::vector<MappingKind> classify_mappings(const Snapshot& snapshot);

struct MappingKindTotal {
    MappingKind kind = MappingKind::Other;
    std::uint64_t mappings = 0, size = 0, rss = 0, pss = 0, private_dirty = 0, swap = 0;
};

struct PathTotal {
    std::string path;
    MappingKind kind = MappingKind::Other;
    std::uint64_t mappings = 0, size = 0, rss = 0, pss = 0, swap = 0;
};

struct PymallocFigures {
    bool read = false;
    std::string source;  // where the probe read them, or why it did not
    std::uint64_t arena_size = 0, pool_size = 0;
    std::uint64_t arenas = 0, arena_bytes = 0, resident = 0;
    std::uint64_t pools = 0, free_pools = 0;
    std::uint64_t used_bytes = 0, used_blocks = 0;
    // Arenas less than a quarter used: a few live blocks keep each one from being returned.
    std::uint64_t sparse_arenas = 0, sparse_resident = 0;
    std::uint64_t arenas_if_packed = 0;  // arenas its used bytes would fill
};

struct MallocFigures {
    std::string allocator;  // "glibc 2.36", "jemalloc 5.3.0", "unknown"; empty: not read
    std::string exposes;
    std::optional<std::int64_t> in_use, free, mmapped, system, releasable;
    std::optional<std::int64_t> allocated, active, resident;  // jemalloc
    std::uint64_t arenas = 0;             // glibc's malloc_info heaps
    std::uint64_t arenas_free_bytes = 0;  // free bytes in them (malloc_info)
    std::uint64_t heap_rss = 0;           // resident in [heap] and the per-thread heaps
};

struct DomainTotal {
    std::uint32_t domain = 0;  // tracemalloc's address domain: 0 Python, 389047 NumPy
    std::uint64_t blocks = 0, bytes = 0;
};

// Objects of a type whose __sizeof__ the probe did not run (third-party C types such as
// numpy.ndarray, unless heapdiff.trust_sizeof() vouches for them): their buffers count as
// native memory, not as the objects'.
struct ApproximateType {
    std::string type;
    std::uint64_t objects = 0;
};

struct MemoryAccount {
    bool available = false;
    std::string why_not;                       // when not available: one line
    std::uint64_t rss = 0;                     // sum of the mappings' Rss: what the account splits
    std::optional<std::uint64_t> process_rss;  // the process.rss fact (statm), for comparison
    std::array<std::uint64_t, kMemoryCategories> bytes{};
    std::array<bool, kMemoryCategories> estimated{};
    std::uint64_t object_bytes = 0, object_bytes_in_pymalloc = 0, objects = 0;
    PymallocFigures pymalloc;
    MallocFigures malloc;
    std::array<MappingKindTotal, kMappingKinds> kinds{};  // indexed by MappingKind
    std::vector<PathTotal> paths;                         // file-backed, by rss, largest first
    std::vector<DomainTotal> traced_domains;              // when tracemalloc traced
    std::vector<ApproximateType> approximate_types;       // most objects first (flags loaded)
    std::optional<std::int64_t> cgroup_current, cgroup_limit;
    double map_seconds = -1;  // what reading the map cost the probe

    std::uint64_t get(MemoryCategory c) const { return bytes[static_cast<std::size_t>(c)]; }
    bool is_estimated(MemoryCategory c) const { return estimated[static_cast<std::size_t>(c)]; }
    const MappingKindTotal& kind(MappingKind k) const { return kinds[static_cast<std::size_t>(k)]; }
};

MemoryAccount memory_account(const Snapshot& snapshot);

// What one or more accounts (oldest first) say, most important first: what grew and what
// to do about it, or for one snapshot what dominates. `kind` is stable for JSON and tests:
// objects_grew, native_grew, pymalloc_fragmentation, malloc_free, mmaps_grew,
// mapped_files_grew, stacks_grew, code_grew, no_growth, objects_dominate, native_dominates,
// no_memory_map.
struct MemoryFinding {
    std::string kind;
    MemoryCategory category = MemoryCategory::Other;
    std::int64_t bytes = 0;  // the figure the finding is about (a growth, or a size)
    std::string text;        // one paragraph, ending in the next step
};

std::vector<MemoryFinding> memory_findings(const std::vector<MemoryAccount>& accounts,
                                           const std::vector<std::string>& paths);

}  // namespace heapdiff
