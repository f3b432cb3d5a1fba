#include "heapdiff/pending_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "heapdiff/error.h"
#include "output_file.h"

namespace heapdiff {
std::string base_name(const std::string& path) {
    std::string::size_type slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {

std::string directory_of(const std::string& path) {
    std::string::size_type slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

// open(O_EXCL) with mode 0666 rather than mkstemp: the finished file gets the umask's
// permissions like any file the user writes, not mkstemp's 0600.
PendingFile::PendingFile(const std::string& path) : path_(path), target_(output_file::resolve_target(path)) {
    const std::string stem = directory_of(target_) + "/." + base_name(target_) + ".tmp" + std::to_string(getpid()) + "-";
    for (unsigned attempt = 0;; ++attempt) {
        temp_ = stem + std::to_string(attempt);
        int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            file_ = fdopen(fd, "wb");
            if (!file_) {
                int err = errno;
                ::close(fd);
                ::unlink(temp_.c_str());
                temp_.clear();
                fail(err);
            }
            return;
        }
        if (errno != EEXIST || attempt == 100) {
            const int err = errno;
            temp_.clear();
            fail(err);
        }
    }
}

PendingFile::~PendingFile() {
    if (file_) std::fclose(file_);
    if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void PendingFile::commit() {
    std::FILE* f = file_;
    file_ = nullptr;
    bool write_error = std::ferror(f) != 0;
    int err = errno;
    if (std::fclose(f) != 0 && !write_error) {
        write_error = true;
        err = errno;
    }
    if (write_error) fail(err ? err : EIO);
    output_file::check_replaceable(target_, path_);
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) fail(errno);
    committed_ = true;
}

void PendingFile::fail(int err) const { throw Error("cannot write " + path_ + ": " + std::strerror(err)); }

}  // namespace heapdiff
