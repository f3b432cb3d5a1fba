#include "heapdiff/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "heapdiff/error.h"

namespace heapdiff {

RegularFile::RegularFile(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw snapshot_error(path + ": cannot open: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw snapshot_error(path + ": not a regular file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) throw snapshot_error(path + ": cannot open: " + std::strerror(errno));
    // Regular files ignore O_NONBLOCK; it only mattered while the path might not be one.
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || ::fcntl(fd, F_SETFL, 0) != 0) {
        ::close(fd);
        throw snapshot_error(path + ": not a regular file");
    }
    file_ = ::fdopen(fd, "rb");
    if (!file_) {
        const int err = errno;
        ::close(fd);
        throw snapshot_error(path + ": cannot open: " + std::strerror(err));
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
}

RegularFile::~RegularFile() {
    if (file_) std::fclose(file_);
}

}  // namespace heapdiff
