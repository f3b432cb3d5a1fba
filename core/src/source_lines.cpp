#include "heapdiff/source_lines.h"

#include <cstdio>

#include "heapdiff/error.h"
#include "heapdiff/regular_file.h"

namespace heapdiff {
namespace {

// File names come from the snapshot, so from the heap: one could name a FIFO, /dev/zero
// or a huge file. Only regular files are read (RegularFile), and only so much of them:
// a source file larger than this is no source file worth quoting.
constexpr std::uint64_t kMaxSourceBytes = 16u << 20;

std::vector<std::string> read_lines(const std::string& filename) {
    std::vector<std::string> lines;
    try {
        RegularFile file(filename);
        if (file.size() > kMaxSourceBytes) return lines;
        std::string text(static_cast<std::size_t>(file.size()), '\0');
        text.resize(std::fread(text.data(), 1, text.size(), file.get()));
        for (std::size_t at = 0; at < text.size();) {
            std::size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            lines.push_back(text.substr(at, end - at));
            at = end + 1;
        }
    } catch (const Error&) {
        // Missing, not a regular file: no source line, as linecache would have none.
    }
    return lines;
}

}  // namespace

std::string SourceLines::get(const std::string& filename, std::uint32_t lineno) {
    auto it = files_.find(filename);
    if (it == files_.end()) it = files_.emplace(filename, read_lines(filename)).first;
    if (lineno == 0 || lineno > it->second.size()) return {};
    const std::string& line = it->second[lineno - 1];
    std::size_t b = line.find_first_not_of(" \t\r");
    std::size_t e = line.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : line.substr(b, e - b + 1);
}

}  // namespace heapdiff
