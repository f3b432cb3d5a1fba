#include "heapdiff/proc_files.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace heapdiff::process {

std::string process_dir(pid_t pid, const std::string& proc_root) { return proc_root + "/" + std::to_string(pid); }

std::string read_small_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string status_field(const std::string& status, const std::string& key) {
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, key.size() + 1, key + ":") == 0) {
            std::string value = line.substr(key.size() + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            return value;
        }
    return {};
}

char process_state(const std::string& dir) {
    std::string stat = read_small_file(dir + "/stat");
    std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : 0;
}

std::vector<FileMapping> file_mappings(const std::string& dir) {
    std::vector<FileMapping> out;
    std::istringstream in(read_small_file(dir + "/maps"));
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string range, perms, offset, dev, inode, path;
        fields >> range >> perms >> offset >> dev >> inode;
        std::getline(fields, path);
        path.erase(0, path.find_first_not_of(' '));
        if (path.empty() || path[0] != '/') continue;
        try {
            out.push_back({std::stoull(range.substr(0, range.find('-')), nullptr, 16), std::stoull(offset, nullptr, 16),
                           path});
        } catch (const std::exception&) {
            continue;  // not a maps line (a hand-made or truncated file)
        }
    }
    return out;
}

std::vector<AddressRange> readable_ranges(const std::string& dir) {
    std::vector<AddressRange> out;
    std::istringstream in(read_small_file(dir + "/maps"));
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string range, perms, offset, dev, inode, path;
        fields >> range >> perms >> offset >> dev >> inode >> path;
        if (perms.empty() || perms[0] != 'r' || path.rfind("[vvar", 0) == 0 || path == "[vsyscall]") continue;
        const std::size_t dash = range.find('-');
        AddressRange r;
        try {
            if (dash == std::string::npos) continue;
            r.start = std::stoull(range.substr(0, dash), nullptr, 16);
            r.end = std::stoull(range.substr(dash + 1), nullptr, 16);
        } catch (const std::exception&) {
            continue;  // not a maps line (a hand-made or truncated file)
        }
        if (r.end <= r.start || (!out.empty() && r.start < out.back().end)) continue;  // out of order: not trusted
        if (!out.empty() && out.back().end == r.start)
            out.back().end = r.end;
        else
            out.push_back(r);
    }
    return out;
}

bool ranges_cover(const std::vector<AddressRange>& ranges, std::uint64_t start, std::uint64_t size) {
    if (start + size < start) return false;  // wraps around
    auto after = std::upper_bound(ranges.begin(), ranges.end(), start,
                                  [](std::uint64_t a, const AddressRange& r) { return a < r.start; });
    if (after == ranges.begin()) return false;
    const AddressRange& r = *(after - 1);
    return start >= r.start && start + size <= r.end;
}

std::optional<std::string> executable_link(const std::string& dir) {
    char buf[4096];
    ssize_t n = ::readlink((dir + "/exe").c_str(), buf, sizeof buf - 1);
    if (n <= 0) return std::nullopt;
    return std::string(buf, std::size_t(n));
}

std::vector<std::string> nul_separated(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(read_small_file(path));
    for (std::string item; std::getline(in, item, '\0');) out.push_back(item);
    return out;
}

}  // namespace heapdiff::process
