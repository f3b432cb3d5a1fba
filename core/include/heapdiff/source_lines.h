// Source lines for tracebacks, read from the files when they exist (like linecache),
// each file read once per run. Only regular files of at most 16 MiB are read: the
// names come from the snapshot. Lines are returned raw: print them through printable().
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace heapdiff {

class SourceLines {
public:
    // The line, stripped of surrounding blanks; "" when the file or line is not there.
    std::string get(const std::string& filename, std::uint32_t lineno);

private:
    std::unordered_map<std::string, std::vector<std::string>> files_;
};

}  // namespace heapdiff
