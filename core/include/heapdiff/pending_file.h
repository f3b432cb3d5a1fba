// A file a command writes (a drawing, an export, a report): written under a temporary
// name beside its target and renamed over it once complete, so the name holds the whole
// new file or what was there before, never half of one. The same rules as a snapshot
// (core/src/output_file.h): the directory is held by a checked descriptor, the temporary
// file is created exclusively without following links, and the target must be a regular
// file or new. A symlink at the target is refused, not followed (in a directory others can
// write, whoever planted it would choose where the file goes); a device, FIFO, socket or
// directory is refused rather than replaced (as root, renaming over /dev/null would
// replace the device).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

namespace heapdiff {
namespace output_file {
class Replacement;
}

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

    std::FILE* get() const;
    void commit();  // closes, checks for write errors, renames over the target

private:
    std::unique_ptr<output_file::Replacement> output_;
};

}  // namespace heapdiff
