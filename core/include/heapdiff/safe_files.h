// The one way heapdiff creates and removes files where somebody else may write: the
// target's /tmp (attach), a shared trigger directory (/tmp, /var/tmp), an output
// directory. heapdiff often runs as root there, and every other local user is treated as
// hostile (docs/SECURITY.md), so:
// - a directory is held open by a file descriptor (O_DIRECTORY, its last component never
//   followed when asked) and checked with fstat; every later operation is relative to it
//   (openat, mkdirat, unlinkat, renameat), never by a path string that another user could
//   redirect between a check and its use;
// - a file or directory is created exclusively (O_CREAT|O_EXCL, mkdirat), so nothing
//   planted under its name is written through; a symlink is never followed;
// - only what heapdiff itself created is removed: a regular file (or a directory) checked
//   by fstatat without following links to be the owner's, and a directory's known names,
//   never a recursive walk over what is found there.
// Any check that fails throws heapdiff::Error with one line naming the path, and touches
// nothing.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace heapdiff::safe_files {

enum class Follow { Yes, No };  // whether the path's last component may be a symlink

class Directory {
public:
    // Opens `path` as a directory. Follow::No refuses a symlink at its last component
    // (O_NOFOLLOW): for a name another user could have planted. Throws heapdiff::Error
    // ("cannot use directory PATH: ...").
    static Directory open(const std::string& path, Follow follow = Follow::Yes);
    // Opens the entry `name` of this directory, never following a symlink.
    Directory child(const std::string& name) const;
    // Opens the directory `path` one component at a time (from "/" or the current
    // directory): a component that is a symlink is followed only where it stands in a
    // directory that is not shared() (the caller's own links work; a link another user
    // planted in /tmp, or in a directory another user owns, is refused). With
    // Create::Yes a missing component is made with mkdirat (`mode`, less the umask), as
    // os.makedirs does. Throws heapdiff::Error ("cannot use directory PATH: ...").
    enum class Create { No, Yes };
    static Directory open_guarded(const std::string& path, Create create = Create::No, mode_t mode = 0777);

    Directory(Directory&& other) noexcept;
    Directory& operator=(Directory&& other) noexcept;
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;
    ~Directory();

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }  // as shown in messages
    const struct stat& info() const { return info_; }  // fstat when it was opened
    // True when a user other than the caller (and root) can create or rename entries in
    // it: group or world write, or an owner that is neither the caller nor root. Sticky
    // directories such as /tmp are shared too (others can plant names there).
    bool shared() const;
    std::string entry(const std::string& name) const { return path_ + "/" + name; }

private:
    Directory(int fd, std::string path, const struct stat& info);
    static Directory open_at(int at, const std::string& name, const std::string& shown, Follow follow);
    friend struct Place;
    static Directory walk(const std::string& path, Create create, mode_t mode, const std::string& failure);
    int fd_ = -1;
    std::string path_;
    struct stat info_ {};
};

// Where the file a caller names by `path` goes: the directory holding it, opened with
// Directory::open_guarded's rules, and the file's name in it. Errors are one line,
// "cannot ACTION PATH: ..." (action: "write", "remove").
struct Place {
    static Place of(const std::string& path, const std::string& action = "write");
    Directory directory;
    std::string name;
};

// What a writer must do with the entry `name` of `dir` before making it a new file by
// renaming over it: nothing when it is absent or may be replaced, else it throws
// heapdiff::Error ("cannot write SHOWN: ..."). Replaceable is a regular file, and in a
// shared() directory only the caller's own: a symlink is neither followed nor replaced
// (whoever planted it chose where it points), and a FIFO, device, socket or directory is
// refused (renaming over /dev/null as root replaced the device). `again` words the
// message for a check just before the rename (the name changed while the file was written).
void check_replaceable(const Directory& dir, const std::string& name, const std::string& shown, bool again = false);

// Renames `from` (a file this process created in `dir`, still the file `expected`) over
// `to`, both relative to `dir` (renameat), after check_replaceable(dir, to). Throws
// heapdiff::Error ("cannot write SHOWN: ...") and renames nothing when a check fails.
void rename_within(const Directory& dir, const std::string& from, const struct stat& expected,
                   const std::string& to, const std::string& shown);

// Creates `name` in `dir` exclusively for writing (never through a link planted there)
// and returns the descriptor (O_CLOEXEC). Throws heapdiff::Error ("cannot write ...");
// errno_out, when given, receives the errno of a failure (EEXIST to try another name).
int create_file(const Directory& dir, const std::string& name, mode_t mode, int* errno_out = nullptr);

// Makes a new directory `prefix` + 6 random characters in `dir` (as mkdtemp does, but
// relative to the descriptor) with `mode`, opens it without following links and checks
// that it is the directory just made (owned by the caller). Throws heapdiff::Error.
Directory create_directory(const Directory& dir, const std::string& prefix, mode_t mode);

// The identity of a file as fstat saw it: what a later removal checks it is removing.
struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const Identity& o) const { return device == o.device && inode == o.inode; }
};
inline Identity identity_of(const struct stat& st) { return {st.st_dev, st.st_ino}; }

// Removes `name` from `dir` when it is a regular file (a symlink is not followed) owned
// by `owner`. Returns false, touching nothing, when it is absent or anything else.
bool remove_file(const Directory& dir, const std::string& name, uid_t owner);
// Removes `name` from `dir` only while it is still the regular file `expected` (the one
// this process created and holds open): never another file put under its name.
bool remove_file(const Directory& dir, const std::string& name, const Identity& expected);

// Removes the directory `name` of `parent` made by create_directory: only when it is
// still the directory `expected` (not a symlink, not another directory put in its place),
// and only the entries named in `known` (regular files or symlinks, unlinked without
// following; subdirectories are left alone). Returns false when it was not removed (not
// the same directory, or entries it does not know are left).
bool remove_directory(const Directory& parent, const std::string& name, const Identity& expected,
                      const std::vector<std::string>& known);

// Sets exactly `mode` (whatever the umask took away) and then, when `owner` is not the
// caller, gives to `owner` the file or directory heapdiff just created and holds open as
// `fd` (fchmod, fchown: the descriptor, never a name that could have been swapped since).
// `shown` names it in the Error thrown on failure.
void set_mode_and_owner(int fd, mode_t mode, uid_t owner, const std::string& shown);

// Reads `name` of `dir` when it is a regular file of at most `limit` bytes: for what
// another user wrote. Never follows a symlink, never blocks on a FIFO planted there
// (O_NONBLOCK), never reads more than limit + 1 bytes. Returns nullopt when the name is
// absent; throws heapdiff::Error (one line) when it is anything else or too big. `info`,
// when given, receives the fstat of what was read.
std::optional<std::string> read_small_file(const Directory& dir, const std::string& name, std::size_t limit,
                                           struct stat* info = nullptr);

}  // namespace heapdiff::safe_files
