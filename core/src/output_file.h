// How every file heapdiff writes gets to its name without harming anything else: the
// snapshots (SnapshotWriter) and what the commands write (PendingFile: exports, reports,
// drawings). They are written into someone's file system, often as root, and in
// directories others may write (/tmp, a trigger directory), so (safe_files.h):
// - the directory is opened component by component and held by a descriptor; a symlink
//   is followed only where it stands in a directory no other user can write;
// - the final name must be absent or a regular file (in a directory others can write, the
//   caller's own). A symlink there is refused, never followed: following it would let
//   whoever planted it choose where root's file goes; a FIFO, device, socket or directory
//   is refused (renaming over /dev/null as root replaced the device);
// - the file is written to NAME.tmp-<pid>-<8 hex> beside it, created exclusively and
//   without following links (O_CREAT|O_EXCL|O_NOFOLLOW relative to the descriptor) and
//   locked while it is written, then renamed over the final name within that directory
//   (renameat): the final name only ever holds a complete file;
// - temporary snapshots left by a writer that died (a crash, SIGKILL) are removed by the
//   next snapshot writer in that directory, but only when their name says heapdiff made
//   them, their writer's pid is gone, nobody holds their lock, and they are the caller's.
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "heapdiff/safe_files.h"

namespace heapdiff::output_file {

class Replacement {
public:
    enum class Stale { Keep, Remove };  // whether dead writers' temporary snapshots are cleaned first
    // Who may read the finished file: the umask's choice (a drawing, a report), or its
    // owner only (a snapshot holds the heap's strings, passwords and tokens among them, and
    // is often written to /tmp by root: private like a core dump).
    enum class Readers { Umask, OwnerOnly };
    // Checks the directory and the final name and creates the temporary file. Throws
    // heapdiff::Error ("cannot write PATH: ...") and leaves nothing behind when it cannot.
    explicit Replacement(const std::string& path, Stale stale = Stale::Keep, Readers readers = Readers::Umask);
    ~Replacement();  // not committed: closes and removes the temporary file
    Replacement(const Replacement&) = delete;
    Replacement& operator=(const Replacement&) = delete;

    std::FILE* file() const { return file_; }
    const std::string& temp_path() const { return temp_path_; }  // as shown (tests)
    // Flushes (and with `sync` fsyncs), closes, checks for write errors, checks the final
    // name again and renames the temporary file over it. Throws heapdiff::Error.
    void commit(bool sync);

private:
    std::string shown_;  // the path as the caller gave it: what messages name
    safe_files::Place place_;
    std::string temp_name_, temp_path_;
    struct stat temp_info_ {};
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

// Removes the stale temporary snapshots of dead writers from `dir`. Returns how many it
// removed; never throws (a failure only leaves a file behind).
int remove_stale_temps(const safe_files::Directory& dir);

// True when `name` has the form of a temporary file: "*.tmp-<pid>-<8 hex>". Sets *pid.
bool is_temp_name(const std::string& name, long* pid);

}  // namespace heapdiff::output_file
