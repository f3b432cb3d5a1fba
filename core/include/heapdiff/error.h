// The one error type of the analyzer and the writer. Every bad input (missing file,
// not a snapshot, truncated, corrupted, newer format, unknown name) becomes an Error
// whose message is one line a user can act on; the CLI and the probe convert it at
// their boundary (an exit code and a JSON "kind", or a Python exception).
#pragma once

#include <stdexcept>
#include <string>

namespace heapdiff {

// What went wrong, for a program that drives heapdiff: the CLI's exit code and the "kind"
// of its JSON error say it, so nobody matches message text. README.md, "Errors and exit codes", lists them.
enum class ErrorKind {
    Failed,       // anything else: cannot write the output, Graphviz failed, attach failed (exit 1)
    Usage,        // the command line does not fit: a bad flag value, or a flag the snapshot cannot serve (exit 2)
    BadSnapshot,  // an input file: missing, unreadable, not a snapshot, truncated, corrupted, newer (exit 3)
    NotFound,     // the snapshot has no such object or type: an address, a type name, a chain (exit 4)
};

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ErrorKind kind = ErrorKind::Failed)
        : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

private:
    ErrorKind kind_;
};

inline Error usage_error(const std::string& message) { return Error(message, ErrorKind::Usage); }
inline Error snapshot_error(const std::string& message) { return Error(message, ErrorKind::BadSnapshot); }
inline Error not_found_error(const std::string& message) { return Error(message, ErrorKind::NotFound); }

// The name a JSON error gives a kind: "error", "usage", "bad_snapshot", "not_found".
const char* error_kind_name(ErrorKind kind);
// The CLI's exit status for a kind: 1, 2, 3, 4.
int error_exit_code(ErrorKind kind);

}  // namespace heapdiff
