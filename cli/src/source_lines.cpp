#include "source_lines.h"

#include <fstream>

namespace heapdiff::cli {

std::string SourceLines::get(const std::string& filename, std::uint32_t lineno) {
    auto it = files_.find(filename);
    if (it == files_.end()) {
        std::vector<std::string> lines;
        std::ifstream in(filename);
        for (std::string line; in && std::getline(in, line) && lines.size() < 1000000;) lines.push_back(line);
        it = files_.emplace(filename, std::move(lines)).first;
    }
    if (lineno == 0 || lineno > it->second.size()) return {};
    const std::string& line = it->second[lineno - 1];
    std::size_t b = line.find_first_not_of(" \t\r");
    std::size_t e = line.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : line.substr(b, e - b + 1);
}

}  // namespace heapdiff::cli
