#include "heapdiff/process_memory.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "heapdiff/proc_files.h"

namespace heapdiff::process {
namespace {

// A cgroup v1 "no limit" is a huge page-aligned number (2^63 rounded down to a page).
constexpr std::int64_t kUnlimited = std::int64_t(1) << 60;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// The number a cgroup file holds; nothing when it is absent, "max" (v2: no limit), not a
// number, or v1's huge "unlimited".
std::optional<std::int64_t> cgroup_number(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return std::nullopt;
    char buf[64];
    std::size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    std::string text(buf, n);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    text.erase(0, text.find_first_not_of(" \t\n"));
    if (text.empty() || text.size() > 19 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);  // saturates, never throws
    if (value >= static_cast<unsigned long long>(kUnlimited)) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::vector<std::string> path_parts(const std::string& path) {
    std::vector<std::string> parts;
    std::istringstream in(path);
    for (std::string part; std::getline(in, part, '/');)
        if (!part.empty()) parts.push_back(part);
    return parts;
}

std::string joined(const std::string& base, const std::vector<std::string>& parts, std::size_t count,
                   const std::string& file) {
    std::string out = base;
    for (std::size_t i = 0; i < count; ++i) out += "/" + parts[i];
    return out + "/" + file;
}

// base+path, then each shorter suffix down to base itself.
void read_nested(const std::string& base, const std::string& path, const char* limit_file,
                 const char* usage_file, CgroupMemory& out) {
    const std::vector<std::string> parts = path_parts(path);
    for (std::size_t i = parts.size() + 1; i-- > 0;) {
        if (auto limit = cgroup_number(joined(base, parts, i, limit_file)))
            out.limit = out.limit ? std::min(*out.limit, *limit) : *limit;
        if (!out.current)
            if (auto usage = cgroup_number(joined(base, parts, i, usage_file))) out.current = usage;
    }
}

struct CgroupPaths {
    std::optional<std::string> v2, memory;  // paths start with "/"
};

CgroupPaths cgroup_paths(const std::string& cgroup_file) {
    CgroupPaths paths;
    std::istringstream in(read_small_file(cgroup_file));
    for (std::string line; std::getline(in, line);) {
        std::size_t first = line.find(':');
        if (first == std::string::npos) continue;
        std::size_t second = line.find(':', first + 1);
        if (second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        if (controllers.empty()) {
            paths.v2 = path;
            continue;
        }
        std::istringstream names(controllers);
        for (std::string name; std::getline(names, name, ',');)
            if (name == "memory") paths.memory = path;
    }
    return paths;
}

std::optional<std::int64_t> smaller(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

}  // namespace

namespace {
// The first `field`+1 numbers of a statm file, the last of them in bytes (pages x page size).
std::optional<std::int64_t> statm_field_bytes(const std::string& statm_path, int field) {
    std::FILE* f = std::fopen(statm_path.c_str(), "r");
    if (!f) return std::nullopt;
    long long pages[2] = {0, 0};
    const int n = std::fscanf(f, "%lld %lld", &pages[0], &pages[1]);
    std::fclose(f);
    if (n < field + 1 || pages[field] < 0) return std::nullopt;
    return pages[field] * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace

std::optional<std::int64_t> resident_bytes(const std::string& statm_path) { return statm_field_bytes(statm_path, 1); }

std::optional<std::int64_t> address_space_bytes(const std::string& statm_path) {
    return statm_field_bytes(statm_path, 0);
}

std::optional<std::int64_t> machine_memory_bytes(const std::string& meminfo_path) {
    // "MemTotal:       24604320 kB"
    const std::string v = status_field(read_small_file(meminfo_path), "MemTotal");
    long long kib = 0;
    if (v.empty() || std::sscanf(v.c_str(), "%lld", &kib) != 1 || kib <= 0) return std::nullopt;
    return static_cast<std::int64_t>(kib) * 1024;
}

std::optional<std::int64_t> peak_resident_bytes() {
    struct rusage usage {};
    if (::getrusage(RUSAGE_SELF, &usage) != 0) return std::nullopt;
    return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

std::optional<MemoryRollup> memory_rollup(const std::string& smaps_rollup_path) {
    const std::string text = read_small_file(smaps_rollup_path);
    if (text.empty()) return std::nullopt;
    MemoryRollup out;
    bool any = false;
    // "Rss:   1234 kB"; the kernel writes every size in kB.
    auto field = [&](const char* key, std::int64_t& value) {
        const std::string v = status_field(text, key);
        if (v.empty()) return;
        long long kib = 0;
        if (std::sscanf(v.c_str(), "%lld", &kib) == 1) {
            value = kib * 1024;
            any = true;
        }
    };
    field("Rss", out.rss);
    field("Pss", out.pss);
    field("Private_Dirty", out.private_dirty);
    field("Swap", out.swap);
    if (!any) return std::nullopt;
    return out;
}

CgroupMemory cgroup_memory(const std::string& cgroup_root, const std::string& cgroup_file) {
    const CgroupPaths paths = cgroup_paths(cgroup_file);
    CgroupMemory v2, v1;
    if (paths.v2) {
        // Unified mount at the root, or (hybrid layouts) at root/unified.
        for (const std::string& base : {cgroup_root, cgroup_root + "/unified"})
            if (exists(base + "/cgroup.controllers")) {
                read_nested(base, *paths.v2, "memory.max", "memory.current", v2);
                break;
            }
    }
    if (paths.memory) read_nested(cgroup_root + "/memory", *paths.memory, "memory.limit_in_bytes", "memory.usage_in_bytes", v1);
    CgroupMemory out;
    out.limit = smaller(v2.limit, v1.limit);
    out.current = v2.current ? v2.current : v1.current;
    return out;
}

}  // namespace heapdiff::process
