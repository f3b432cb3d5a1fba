// How much memory a process uses and may use: its resident size (statm, getrusage), the
// smaps_rollup totals, and its cgroup's memory limit and current usage (v2 and v1). Every
// reader takes the file or directory it reads, so tests feed hand-made trees; a value the
// system does not give is nullopt, never a guess. Reading allocates little and runs no
// Python, so the probe's RSS watchdog may call it ten times a second.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace heapdiff::process {

// Resident bytes from a statm file (its second field, in pages).
std::optional<std::int64_t> resident_bytes(const std::string& statm_path = "/proc/self/statm");
// The address space's size (VmSize) from a statm file (its first field, in pages).
std::optional<std::int64_t> address_space_bytes(const std::string& statm_path = "/proc/self/statm");

// The machine's memory: MemTotal of a meminfo file, in bytes.
std::optional<std::int64_t> machine_memory_bytes(const std::string& meminfo_path = "/proc/meminfo");

// The largest resident size this process has had (getrusage, Linux reports KiB).
std::optional<std::int64_t> peak_resident_bytes();

// The totals of /proc/<pid>/smaps_rollup (Linux 4.14+), in bytes.
struct MemoryRollup {
    std::int64_t rss = 0, pss = 0, private_dirty = 0, swap = 0;
};
std::optional<MemoryRollup> memory_rollup(const std::string& smaps_rollup_path = "/proc/self/smaps_rollup");

// The cgroup memory files that apply to a process: the smallest limit set on its cgroup
// or an ancestor (limits nest), and the usage of the deepest cgroup that reports one.
struct CgroupMemory {
    std::optional<std::int64_t> limit;    // v2 memory.max, v1 memory.limit_in_bytes
    std::optional<std::int64_t> current;  // v2 memory.current, v1 memory.usage_in_bytes
};

// `cgroup_file` is the process's /proc/<pid>/cgroup; `cgroup_root` where the cgroup file
// systems are mounted (v2 at the root or root/unified, v1's memory controller at
// root/memory). In a container the mount is often the container's own cgroup while the
// cgroup file names the host's path, so every suffix of the path is tried down to the mount.
CgroupMemory cgroup_memory(const std::string& cgroup_root = "/sys/fs/cgroup",
                           const std::string& cgroup_file = "/proc/self/cgroup");

}  // namespace heapdiff::process
