// Every mapping of a process with its resident, proportional, private dirty and swapped
// bytes, from /proc/<pid>/smaps: what the memory account splits into heap, stacks, mmaps and
// code. The reader takes the file it reads, so tests feed hand-made text; a line it does not
// understand is skipped, never guessed at, and a field after a garbled header is not
// charged to the mapping before it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapdiff::process {

namespace smaps_perm {
constexpr std::uint8_t kRead = 1, kWrite = 2, kExec = 4, kShared = 8;
}

struct SmapsMapping {
    std::uint64_t start = 0, end = 0, offset = 0;
    std::uint8_t perms = 0;  // smaps_perm bits: bit 0 r, bit 1 w, bit 2 x, bit 3 shared (s instead of p)
    std::string path;        // "" anonymous, "[heap]", "[stack]", "[vdso]", "/usr/lib/x.so", "/tmp/f (deleted)"
    std::uint64_t rss = 0, pss = 0, private_dirty = 0, swap = 0;  // bytes (smaps gives kB)
};

// The mappings of the text of a smaps file, in its order. A header is
// `start-end perms offset dev inode [path]` (the path may hold spaces; the kernel's padding
// before it is dropped); a size line is `Key: N kB`. A size line cut before its "kB" is
// dropped, so a truncated last record keeps the fields that were whole. Throws only
// std::bad_alloc.
std::vector<SmapsMapping> parse_smaps(std::string_view text);

// The mappings of a smaps file, read in 64 KiB pieces (a process with 10k mappings has a
// smaps of several MB: it is never held whole). nullopt when the file cannot be opened or a
// read fails; a kernel thread's empty file gives no mappings. Never throws. The kernel walks
// the page tables of every mapping to write it: here 8 ms at 5,000 mappings (3.6 MB, 5 ms
// of it the kernel's), 16 ms at 10,000, 34 ms at 20,000; so once per snapshot, not from a
// watchdog (memory_rollup is the cheap total).
std::optional<std::vector<SmapsMapping>> read_smaps(const std::string& path = "/proc/self/smaps");

}  // namespace heapdiff::process
