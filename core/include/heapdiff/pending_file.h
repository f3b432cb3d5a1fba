// A file a command writes (a drawing, an export): written under a hidden temporary name
// beside its target and renamed over it once complete, so the name holds the whole new
// file or what was there before, never half of one. Like a snapshot (core/src/
// output_file.h), the target must be a regular file or new: a symlink is followed, and
// a device, FIFO, socket or directory is refused rather than replaced (as root, renaming
// over /dev/null would replace the device).
#pragma once

#include <cstdio>
#include <string>

namespace heapdiff {

// The last component of a path ("a/b.svg" -> "b.svg"): what an output's name and
// extension are judged by.
std::string base_name(const std::string& path);

class PendingFile {
public:
    // Throws heapdiff::Error ("cannot write PATH: ...") when the target cannot be written.
    explicit PendingFile(const std::string& path);
    ~PendingFile();  // an uncommitted file is removed
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;

    std::FILE* get() const { return file_; }
    void commit();  // closes, checks for write errors, renames over the target

private:
    [[noreturn]] void fail(int err) const;

    std::string path_, target_, temp_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

}  // namespace heapdiff
