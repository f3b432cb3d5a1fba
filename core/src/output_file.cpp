#include "output_file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapdiff/error.h"
#include "heapdiff/format.h"

namespace heapdiff::output_file {
namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's own limit for path resolution

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

std::string directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string resolve_target(const std::string& path) {
    std::string current = path;
    for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
        struct stat st;
        if (lstat(current.c_str(), &st) != 0) {
            if (errno == ENOENT) return current;  // a new file (its directory is checked by creating the temp)
            throw Error("cannot write " + path + ": " + errno_text());
        }
        if (S_ISREG(st.st_mode)) return current;
        if (!S_ISLNK(st.st_mode))
            throw Error("cannot write " + path + ": it exists and is " + kind_of(st.st_mode) +
                        "; heapdiff only replaces a regular file");
        std::string link(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
        const ssize_t n = readlink(current.c_str(), link.data(), link.size());
        if (n < 0) throw Error("cannot write " + path + ": " + errno_text());
        link.resize(static_cast<std::size_t>(n));
        if (link.empty()) throw Error("cannot write " + path + ": an empty symlink");
        current = link[0] == '/' ? link : directory_of(current) + "/" + link;
    }
    throw Error("cannot write " + path + ": too many levels of symbolic links");
}

void check_replaceable(const std::string& target, const std::string& shown_path) {
    struct stat st;
    if (lstat(target.c_str(), &st) != 0) return;  // gone: the rename creates it
    if (!S_ISREG(st.st_mode))
        throw Error("cannot write " + shown_path + ": it became " + kind_of(st.st_mode) +
                    " while the snapshot was written; left as it is");
}

std::FILE* create_temp(const std::string& target, const std::string& shown_path, std::string& temp_path) {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%08x", static_cast<long>(getpid()), rd());
        temp_path = target + suffix;
        // O_EXCL with O_CREAT never follows a symlink at that name: nothing planted there is
        // written through.
        const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            throw Error("cannot write " + shown_path + ": " + errno_text());
        }
        // Held until the file is closed or the process dies: how the next writer tells a
        // temporary file being written from one left by a crash.
        flock(fd, LOCK_EX | LOCK_NB);
        std::FILE* f = fdopen(fd, "wb");
        if (!f) {
            const int saved = errno;
            close(fd);
            unlink(temp_path.c_str());
            errno = saved;
            throw Error("cannot write " + shown_path + ": " + errno_text());
        }
        return f;
    }
    throw Error("cannot write " + shown_path + ": cannot create a unique temporary file");
}

bool is_temp_name(const std::string& name, long* pid) {
    // "<anything>.tmp-<pid>-<8 hex>"
    const std::size_t tag = name.rfind(".tmp-");
    if (tag == std::string::npos || tag == 0) return false;
    const std::size_t dash = name.find('-', tag + 5);
    if (dash == std::string::npos || dash == tag + 5 || name.size() - dash - 1 != 8) return false;
    long value = 0;
    for (std::size_t i = tag + 5; i < dash; ++i) {
        if (name[i] < '0' || name[i] > '9' || value > 100000000) return false;
        value = value * 10 + (name[i] - '0');
    }
    for (std::size_t i = dash + 1; i < name.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
    *pid = value;
    return value > 0;
}

int remove_stale_temps(const std::string& target) {
    const std::string directory = directory_of(target);
    DIR* dir = opendir(directory.c_str());
    if (!dir) return 0;
    int removed = 0;
    const int dir_fd = dirfd(dir);
    while (dirent* entry = readdir(dir)) {
        long pid = 0;
        const std::string name = entry->d_name;
        if (!is_temp_name(name, &pid) || pid == static_cast<long>(getpid())) continue;
        // A live pid may be a writer (or, after pid reuse, anyone): left alone.
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        const int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st;
        unsigned char magic[sizeof format::kMagic] = {};
        bool stale = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                     flock(fd, LOCK_EX | LOCK_NB) == 0;  // a writer in another pid namespace holds it
        if (stale && st.st_size > 0) {
            // Only a file that starts as a snapshot does: never someone else's file that
            // happens to have such a name.
            stale = pread(fd, magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) &&
                    std::memcmp(magic, format::kMagic, sizeof magic) == 0;
        }
        if (stale && unlinkat(dir_fd, name.c_str(), 0) == 0) ++removed;
        close(fd);
    }
    closedir(dir);
    return removed;
}

}  // namespace heapdiff::output_file
