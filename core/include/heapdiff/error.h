// The one error type of the analyzer and the writer. Every bad input (missing file,
// not a snapshot, truncated, corrupted, newer format, unknown name) becomes an Error
// whose message is one line a user can act on; the CLI and the probe convert it at
// their boundary (exit code 1, or a Python exception).
#pragma once

#include <stdexcept>
#include <string>

namespace heapdiff {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace heapdiff
