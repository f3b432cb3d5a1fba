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

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Replacement::Replacement(const std::string& path, Stale stale, Readers readers) : shown_(path), place_(safe_files::Place::of(path)) {
    const safe_files::Directory& dir = place_.directory;
    safe_files::check_replaceable(dir, place_.name, shown_);
    if (stale == Stale::Remove) remove_stale_temps(dir);
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%08x", static_cast<long>(getpid()), rd());
        temp_name_ = place_.name + suffix;
        int err = 0;
        int fd = -1;
        // 0666: the finished file gets the umask's permissions like any file the user writes.
        try {
            fd = safe_files::create_file(dir, temp_name_, readers == Readers::OwnerOnly ? 0600 : 0666, &err);
        } catch (const Error&) {
            if (err == EEXIST) continue;
            throw Error("cannot write " + shown_ + ": " + errno_text(err));
        }
        temp_path_ = dir.entry(temp_name_);
        // Held until the file is closed or the process dies: how the next writer tells a
        // temporary file being written from one left by a crash.
        flock(fd, LOCK_EX | LOCK_NB);
        fstat(fd, &temp_info_);
        file_ = fdopen(fd, "wb");
        if (!file_) {
            const int saved = errno;
            close(fd);
            safe_files::remove_file(dir, temp_name_, safe_files::identity_of(temp_info_));
            throw Error("cannot write " + shown_ + ": " + errno_text(saved));
        }
        return;
    }
    throw Error("cannot write " + shown_ + ": cannot create a unique temporary file");
}

Replacement::~Replacement() {
    if (file_) std::fclose(file_);
    if (!committed_ && !temp_name_.empty())
        safe_files::remove_file(place_.directory, temp_name_, safe_files::identity_of(temp_info_));
}

void Replacement::commit(bool sync) {
    std::FILE* f = file_;
    file_ = nullptr;
    int err = std::ferror(f) ? (errno ? errno : EIO) : 0;
    if (!err && std::fflush(f) != 0) err = errno;
    if (!err && sync && fsync(fileno(f)) != 0) err = errno;
    if (std::fclose(f) != 0 && !err) err = errno;
    if (err) throw Error("cannot write " + shown_ + ": " + errno_text(err));
    safe_files::rename_within(place_.directory, temp_name_, temp_info_, place_.name, shown_);
    committed_ = true;
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

int remove_stale_temps(const safe_files::Directory& directory) {
    // A descriptor of its own for the listing (closedir closes it); names are opened and
    // removed relative to the checked directory, never by path.
    const int list_fd = fcntl(directory.fd(), F_DUPFD_CLOEXEC, 0);
    DIR* dir = list_fd < 0 ? nullptr : fdopendir(list_fd);
    if (!dir) {
        if (list_fd >= 0) close(list_fd);
        return 0;
    }
    rewinddir(dir);
    int removed = 0;
    while (dirent* entry = readdir(dir)) {
        long pid = 0;
        const std::string name = entry->d_name;
        if (!is_temp_name(name, &pid) || pid == static_cast<long>(getpid())) continue;
        // A live pid may be a writer (or, after pid reuse, anyone): left alone.
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        const int fd = openat(directory.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
        // Only the file just checked: not another one put under its name since.
        if (stale && safe_files::remove_file(directory, name, safe_files::identity_of(st))) ++removed;
        close(fd);
    }
    closedir(dir);
    return removed;
}

}  // namespace heapdiff::output_file
