// Where a snapshot is written, and how it gets there without harming anything else.
// The probe writes into someone's production file system, often as root, so:
// - the path must be a regular file or not exist yet: a FIFO, device, socket or directory
//   is refused (renaming over /dev/null as root replaced the device);
// - a symlink is followed, as open() follows it: the snapshot replaces the file the link
//   points to, and the link stays (a dangling link creates its target);
// - the snapshot is written to a temporary file beside that target, created exclusively
//   (never through a link planted under its name) and locked while it is written, then
//   renamed over the target: the final name only ever holds a complete snapshot;
// - temporary files left by a writer that died (a crash, SIGKILL) are removed by the next
//   writer in that directory, but only when their name says heapdiff made them, their
//   writer's pid is gone and nobody holds their lock.
#pragma once

#include <cstdio>
#include <string>

namespace heapdiff::output_file {

// The file a snapshot written to `path` replaces: `path` with its symlinks followed.
// Throws heapdiff::Error when it exists and is not a regular file.
std::string resolve_target(const std::string& path);

// Throws heapdiff::Error when `target` now exists and is not a regular file (checked again
// just before the rename, in case it changed while the snapshot was being written).
void check_replaceable(const std::string& target, const std::string& shown_path);

// Creates `target` + ".tmp-<pid>-<random>" exclusively, locks it and opens it for writing.
// Sets temp_path. Throws heapdiff::Error (naming shown_path) when it cannot.
std::FILE* create_temp(const std::string& target, const std::string& shown_path, std::string& temp_path);

// Removes the stale temporary files of dead writers from the directory of `target`.
// Returns how many it removed; never throws (a failure only leaves a file behind).
int remove_stale_temps(const std::string& target);

// True when `name` has the form of a temporary file of a snapshot: "*.tmp-<pid>-<8 hex>".
// Sets *pid.
bool is_temp_name(const std::string& name, long* pid);

}  // namespace heapdiff::output_file
