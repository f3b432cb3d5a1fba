// What the C allocator of this process says about itself: which allocator serves malloc
// (glibc, jemalloc, mimalloc, tcmalloc), the figures it gives, and how much of a range of
// memory is resident. The memory account uses them to split native memory into malloc in
// use, malloc's free space and mmapped chunks. A figure the allocator does not give is
// nullopt, never a guess.
//
// The probe calls this while holding the GIL inside a production process: no Python, no
// exception escapes, and the allocation is bounded (a few hundred bytes plus one entry per
// glibc arena). The allocator is found once, on the first call, by who defines `malloc`
// (dlsym(RTLD_DEFAULT, "malloc") against libc.so.6's own, then dladdr for the library that
// interposes it); later calls take no loader lock. mallinfo2 and malloc_info each walk every
// free chunk of every arena, holding that arena's lock (other threads' malloc waits): here
// 5 ms in all at 100k free chunks, 150 ms at a million (2 GB free, cache misses), half in
// each call. Once per snapshot, then, never from a watchdog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapdiff::process {

// One <heap> of glibc's malloc_info(): an arena (the main one is number 0).
struct MallocArenaStats {
    std::uint64_t number = 0;
    std::uint64_t free_bytes = 0, free_chunks = 0;    // fastbins + bins ("fast" + "rest" totals; rest counts the top chunk)
    std::uint64_t system_current = 0, system_max = 0; // <system type="current"/"max">: bytes the arena got from the system
    std::uint64_t mmapped_aspace = 0;                 // <aspace type="total">: address space of the arena's heaps
};

struct MallocStats {
    std::string allocator;  // "glibc 2.36", "jemalloc 5.3.0-0-g...", "mimalloc 2.1.2", "tcmalloc", or "unknown"
    std::string exposes;    // one line: which of the figures below it gives ("mallinfo2 and malloc_info", "mallctl stats", ...)
    // glibc mallinfo2() (mallinfo() where mallinfo2 is missing, glibc < 2.33: its int fields
    // wrap past 4 GiB even read as unsigned, and `exposes` says so). Chunks parked in the
    // per-thread caches (tcache) count as in use.
    std::optional<std::int64_t> in_use;          // uordblks: bytes of arena chunks handed out (not the mmapped ones)
    std::optional<std::int64_t> free;            // fordblks: free bytes in the arenas, top chunks included
    std::optional<std::int64_t> mmapped;         // hblkhd: bytes in chunks malloc got with mmap (large requests)
    std::optional<std::int64_t> mmapped_chunks;  // hblks
    std::optional<std::int64_t> system;          // arena: bytes from brk and the per-thread heaps
    std::optional<std::int64_t> releasable;      // keepcost: top chunk malloc_trim could return
    std::optional<std::int64_t> arena_count;     // number of malloc_info heaps
    // jemalloc (mallctl after "epoch"): stats.allocated, active, resident, mapped, retained.
    // tcmalloc (gperftools MallocExtension): allocated = generic.current_allocated_bytes,
    // mapped = generic.heap_size, resident = heap_size - tcmalloc.pageheap_unmapped_bytes,
    // free = tcmalloc.pageheap_free_bytes. mimalloc (mi_process_info): mapped = its committed bytes.
    std::optional<std::int64_t> allocated, active, resident, mapped, retained;
    std::vector<MallocArenaStats> arenas;  // glibc, from malloc_info
};

MallocStats read_malloc_stats() noexcept;

// The <heap> elements of a malloc_info() text; the totals after the last </heap> are not an
// arena and are left out. Any text is safe: a tag it does not know, a missing or
// non-numeric attribute, a tag longer than 256 bytes or a number past 19 digits is skipped.
// At most 16384 arenas (glibc makes at most 8 per core). Throws only std::bad_alloc.
std::vector<MallocArenaStats> parse_malloc_info(std::string_view xml);

// Bytes of [start, start+length) resident in this process's memory (mincore; page aligned
// start required, length rounded up to pages); nullopt on error (ENOMEM: not mapped;
// EINVAL: start not page aligned). For a file mapping mincore reports the page cache, which
// may hold pages this process never touched.
std::optional<std::uint64_t> resident_bytes_in(std::uint64_t start, std::uint64_t length) noexcept;

}  // namespace heapdiff::process
