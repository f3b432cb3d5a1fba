// Reading a process's /proc/<pid> files: status fields, the run state, its file mappings,
// the executable link, NUL-separated lists (environ, cmdline). Every reader takes the
// process's directory ("/proc/1234", "/proc/self", or a hand-made tree in tests) and only
// reads; a file that is missing or unreadable reads as empty.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapdiff::process {

// "/proc/PID" (or under another proc root, for tests).
std::string process_dir(pid_t pid, const std::string& proc_root = "/proc");

// The whole file, or "" when it cannot be read (/proc files report size 0, so no stat).
std::string read_small_file(const std::string& path);

// The value after "key:" in a status-like text ("State", "CapEff", "VmRSS"), trimmed of
// leading blanks; "" when absent.
std::string status_field(const std::string& status, const std::string& key);

// The state letter of <dir>/stat (after the command, which may hold ')'), or 0.
char process_state(const std::string& dir);

struct FileMapping {
    std::uint64_t start = 0, offset = 0;
    std::string path;  // an absolute path; anonymous and [special] mappings are left out
};

// The file-backed mappings of <dir>/maps, in address order.
std::vector<FileMapping> file_mappings(const std::string& dir);

struct AddressRange {
    std::uint64_t start = 0, end = 0;  // [start, end)
};

// The readable mappings of <dir>/maps ('r' permission), in address order, adjacent ones
// joined into one range. Left out: [vvar*] and [vsyscall], whose pages can fault on a read
// though they say 'r'. For checking a pointer the process itself holds before following it.
std::vector<AddressRange> readable_ranges(const std::string& dir);

// Whether [start, start + size) lies inside one of `ranges` (sorted, as readable_ranges gives).
bool ranges_cover(const std::vector<AddressRange>& ranges, std::uint64_t start, std::uint64_t size);

// Where <dir>/exe points, as the process sees it ("/usr/bin/python3.11"); nothing when the
// link cannot be read (a kernel thread, an exited process).
std::optional<std::string> executable_link(const std::string& dir);

// The items of a NUL-separated file (<dir>/environ, <dir>/cmdline).
std::vector<std::string> nul_separated(const std::string& path);

}  // namespace heapdiff::process
