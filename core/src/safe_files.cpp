#include "heapdiff/safe_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "heapdiff/error.h"

namespace heapdiff::safe_files {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
    throw Error("cannot use directory " + path + ": " + why);
}

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

std::string joined(const std::string& base, const std::string& name) {
    if (base.empty()) return name;
    return base == "/" ? "/" + name : base + "/" + name;
}

}  // namespace

Directory::Directory(int fd, std::string path, const struct stat& info)
    : fd_(fd), path_(std::move(path)), info_(info) {}

Directory::Directory(Directory&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)), info_(other.info_) {
    other.fd_ = -1;
}

Directory& Directory::operator=(Directory&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        info_ = other.info_;
        other.fd_ = -1;
    }
    return *this;
}

Directory::~Directory() {
    if (fd_ >= 0) ::close(fd_);
}

Directory Directory::open(const std::string& path, Follow follow) {
    return open_at(AT_FDCWD, path, path, follow);
}

Directory Directory::child(const std::string& name) const {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
        refuse(entry(name), "not a plain name");
    return open_at(fd_, name, entry(name), Follow::No);
}

Directory Directory::open_guarded(const std::string& path, Create create, mode_t mode) {
    return walk(path, create, mode, "cannot use directory " + path + ": ");
}

// One component at a time, so that each symlink is judged by the directory that holds it.
// A link the kernel follows is resolved by the kernel in one go (its own target's
// components are not judged again): it is one the caller or root put there.
Directory Directory::walk(const std::string& path, Create create, mode_t mode, const std::string& failure) {
    if (path.empty()) throw Error(failure + errno_text(ENOENT));
    const bool absolute = path[0] == '/';
    const int start = ::open(absolute ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (start < 0 || ::fstat(start, &st) != 0) {
        const int err = errno;
        if (start >= 0) ::close(start);
        throw Error(failure + errno_text(err));
    }
    Directory here(start, absolute ? "/" : ".", st);
    std::string shown = absolute ? "/" : "";
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string::npos) end = path.size();
        const std::string name = path.substr(begin, end - begin);
        begin = end + 1;
        if (name.empty() || name == ".") continue;
        shown = joined(shown, name);
        // ".." is never a symlink; any other name in a shared directory may be a planted one.
        const bool follow = name == ".." || !here.shared();
        const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
        int fd = ::openat(here.fd(), name.c_str(), flags);
        if (fd < 0 && errno == ENOENT && create == Create::Yes) {
            if (::mkdirat(here.fd(), name.c_str(), mode) != 0 && errno != EEXIST)
                throw Error(failure + "cannot make " + shown + ": " + errno_text(errno));
            fd = ::openat(here.fd(), name.c_str(), flags);
        }
        if (fd < 0) {
            const int err = errno;
            struct stat link;
            if (!follow && ::fstatat(here.fd(), name.c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode))
                throw Error(failure + shown +
                            " is a symbolic link in a directory other users can write; heapdiff does not follow it there");
            throw Error(failure + errno_text(err));
        }
        if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
            const int err = errno;
            ::close(fd);
            throw Error(failure + (err ? errno_text(err) : std::string("not a directory")));
        }
        here = Directory(fd, shown, st);
    }
    if (!absolute && shown.empty()) here.path_ = ".";
    else here.path_ = shown;
    return here;
}

Place Place::of(const std::string& path, const std::string& action) {
    const std::string failure = "cannot " + action + " " + path + ": ";
    const std::size_t slash = path.rfind('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (path.empty()) throw Error(failure + errno_text(ENOENT));
    if (name.empty() || name == "." || name == "..") throw Error(failure + errno_text(EISDIR));
    const std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    return Place{Directory::walk(directory, Directory::Create::No, 0, failure), std::move(name)};
}

bool Directory::shared() const {
    const uid_t me = ::geteuid();
    if (info_.st_uid != me && info_.st_uid != 0) return true;
    return (info_.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

Directory Directory::open_at(int at, const std::string& name, const std::string& shown, Follow follow) {
    const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow == Follow::No ? O_NOFOLLOW : 0);
    const int fd = ::openat(at, name.c_str(), flags);
    if (fd < 0) {
        const int err = errno;
        // O_NOFOLLOW on a symlink fails with ELOOP (ENOTDIR with O_DIRECTORY on some kernels).
        struct stat st;
        if (follow == Follow::No && ::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            refuse(shown, "it is a symbolic link, which heapdiff does not follow here");
        refuse(shown, errno_text(err));
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        const int err = errno;
        ::close(fd);
        refuse(shown, err ? errno_text(err) : "not a directory");
    }
    return Directory(fd, shown, st);
}

int create_file(const Directory& dir, const std::string& name, mode_t mode, int* errno_out) {
    const int fd = ::openat(dir.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        const int err = errno;
        if (errno_out) *errno_out = err;
        throw Error("cannot write " + dir.entry(name) + ": " + errno_text(err));
    }
    if (errno_out) *errno_out = 0;
    return fd;
}

Directory create_directory(const Directory& dir, const std::string& prefix, mode_t mode) {
    static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name = prefix;
        for (int i = 0; i < 6; ++i) name += kLetters[rd() % (sizeof kLetters - 1)];
        if (::mkdirat(dir.fd(), name.c_str(), mode) != 0) {
            if (errno == EEXIST) continue;
            throw Error("cannot make a directory in " + dir.path() + ": " + errno_text(errno));
        }
        Directory made = dir.child(name);
        // Another user cannot have put something else there (the parent is sticky or ours),
        // but say so rather than use it if they did.
        if (made.info().st_uid != ::geteuid()) refuse(made.path(), "it is not the directory heapdiff just made");
        return made;
    }
    throw Error("cannot make a unique directory in " + dir.path());
}

void check_replaceable(const Directory& dir, const std::string& name, const std::string& shown, bool again) {
    struct stat st;
    if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;  // a new file
        throw Error("cannot write " + shown + ": " + errno_text(errno));
    }
    const std::string is = again ? "it became " : "it exists and is ";
    const std::string left = again ? " while it was written; left as it is" : "";
    if (S_ISLNK(st.st_mode))
        throw Error("cannot write " + shown + ": " + is + "a symbolic link" + left +
                    "; heapdiff neither follows nor replaces a link (name the file it points to)");
    if (!S_ISREG(st.st_mode))
        throw Error("cannot write " + shown + ": " + is + kind_of(st.st_mode) + left +
                    "; heapdiff only replaces a regular file");
    if (dir.shared() && st.st_uid != ::geteuid())
        throw Error("cannot write " + shown + ": " + is + "a file of another user (uid " + std::to_string(st.st_uid) +
                    ") in a directory other users can write" + left + "; heapdiff replaces only its own files there");
}

void rename_within(const Directory& dir, const std::string& from, const struct stat& expected, const std::string& to,
                   const std::string& shown) {
    struct stat st;
    if (::fstatat(dir.fd(), from.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        !(identity_of(st) == identity_of(expected)))
        throw Error("cannot write " + shown + ": its temporary file " + dir.entry(from) +
                    " was moved or replaced while it was written; nothing renamed");
    check_replaceable(dir, to, shown, true);
    // Between this check and the rename only a user who may write the directory can put
    // something under `to`; renameat replaces that name and never follows it.
    if (::renameat(dir.fd(), from.c_str(), dir.fd(), to.c_str()) != 0)
        throw Error("cannot write " + shown + ": " + errno_text(errno));
}

bool remove_file(const Directory& dir, const std::string& name, const Identity& expected) {
    struct stat st;
    if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (!S_ISREG(st.st_mode) || !(identity_of(st) == expected)) return false;
    return ::unlinkat(dir.fd(), name.c_str(), 0) == 0;
}

bool remove_file(const Directory& dir, const std::string& name, uid_t owner) {
    struct stat st;
    if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (!S_ISREG(st.st_mode) || st.st_uid != owner) return false;
    // Between the check and the unlink the name can only be swapped by someone who may write
    // the directory; unlinkat removes a name and never follows it, so at worst a planted link
    // (not its target) goes.
    return ::unlinkat(dir.fd(), name.c_str(), 0) == 0;
}

bool remove_directory(const Directory& parent, const std::string& name, const Identity& expected,
                      const std::vector<std::string>& known) {
    try {
        Directory dir = parent.child(name);
        if (!(identity_of(dir.info()) == expected)) return false;
        for (const std::string& entry : known) ::unlinkat(dir.fd(), entry.c_str(), 0);
    } catch (const Error&) {
        return false;  // a symlink or something else now stands under the name: left alone
    }
    // rmdir by name: fails (ENOTEMPTY) when it holds what heapdiff did not put there; and if
    // the name was swapped for another empty directory since the check, only that empty
    // directory goes.
    return ::unlinkat(parent.fd(), name.c_str(), AT_REMOVEDIR) == 0;
}

void set_mode_and_owner(int fd, mode_t mode, uid_t owner, const std::string& shown) {
    if (::fchmod(fd, mode) != 0) throw Error("cannot set the mode of " + shown + ": " + errno_text(errno));
    if (owner != ::geteuid() && ::fchown(fd, owner, gid_t(-1)) != 0)
        throw Error("cannot give " + shown + " to uid " + std::to_string(owner) + ": " + errno_text(errno));
}

std::optional<std::string> read_small_file(const Directory& dir, const std::string& name, std::size_t limit,
                                           struct stat* info) {
    const std::string shown = dir.entry(name);
    const int fd = ::openat(dir.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) return std::nullopt;
        if (err == ELOOP) throw Error("cannot read " + shown + ": it is a symbolic link, which heapdiff does not follow");
        throw Error("cannot read " + shown + ": " + errno_text(err));
    }
    struct stat st {};
    std::string text;
    std::string problem;
    if (::fstat(fd, &st) != 0) {
        problem = errno_text(errno);
    } else if (!S_ISREG(st.st_mode)) {
        problem = "it is not a regular file";
    } else {
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                problem = errno_text(errno);
                break;
            }
            if (n == 0) break;
            text.append(buf, std::size_t(n));
            if (text.size() > limit) {  // it may still be growing: what was read decides
                problem = "it holds more than " + std::to_string(limit) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (!problem.empty()) throw Error("cannot read " + shown + ": " + problem);
    if (info) *info = st;
    return text;
}

}  // namespace heapdiff::safe_files
