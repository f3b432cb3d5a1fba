#include "heapdiff/pending_file.h"

#include "output_file.h"

namespace heapdiff {
std::string base_name(const std::string& path) {
    std::string::size_type slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

PendingFile::PendingFile(const std::string& path) : output_(std::make_unique<output_file::Replacement>(path)) {}

PendingFile::~PendingFile() = default;  // output_ removes an uncommitted temporary file

std::FILE* PendingFile::get() const { return output_->file(); }

// Not fsynced: a command's output is written again by running the command again.
void PendingFile::commit() { output_->commit(false); }

}  // namespace heapdiff
