// A private directory per test, removed with everything in it when the test ends, so
// tests never collide with each other or with files a developer keeps in the build dir.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heapdiff::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::vector<std::uint8_t> read_file_bytes(const std::string& path);
void write_file_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace heapdiff::test
