// Opening a file that a path names, safely, for every reader of user- or heap-given paths
// (snapshots, and the source files tracebacks name). open(2) on a FIFO blocks until a
// writer comes, and a device (/dev/zero, a terminal, /dev/stdin on a pipe) never ends:
// only regular files are read. The path is checked with stat() first, so nothing else is
// ever opened (opening a device can have side effects), then opened with O_NONBLOCK and
// checked again with fstat() on the descriptor, so a file swapped for a FIFO in between
// cannot make open() or a read block.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace heapdiff {

// A regular file open for reading, closed with the object.
class RegularFile {
public:
    // Error "PATH: cannot open: <reason>" or "PATH: not a regular file".
    explicit RegularFile(const std::string& path);
    ~RegularFile();
    RegularFile(const RegularFile&) = delete;
    RegularFile& operator=(const RegularFile&) = delete;

    std::FILE* get() const { return file_; }
    std::uint64_t size() const { return size_; }  // from fstat, when it was opened

private:
    std::FILE* file_ = nullptr;
    std::uint64_t size_ = 0;
};

}  // namespace heapdiff
